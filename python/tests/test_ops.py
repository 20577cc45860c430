"""Which casts a wrapper may make: preparation yes, computing in less precision no."""
import pytest

from tritonize_harness.worker.ops import cast_loses_precision, classify

F32, F16, BF16, F64 = "torch.float32", "torch.float16", "torch.bfloat16", "torch.float64"
I32, I64 = "torch.int32", "torch.int64"


@pytest.mark.parametrize("src,dst,inputs,loses", [
    (F32, F16, {F32}, True),     # the published exploit: fp32 problem computed in fp16
    (F32, BF16, {F32}, True),
    (F16, BF16, {F16}, True),    # sideways: fewer mantissa bits
    (F64, F32, {F64}, True),
    (F32, I32, {F32}, True),     # float to integer truncates
    (F16, F32, {F16}, False),    # widening for accuracy
    (F32, F16, {F16}, False),    # back to the problem's own precision
    (F32, F64, {F32}, False),
    (I64, I32, {I64}, False),    # index preparation
    (I32, F32, {I32}, False),
])
def test_cast_rule(src, dst, inputs, loses):
    assert cast_loses_precision(src, dst, inputs) is loses


def test_classification():
    assert classify("aten.empty_like") == "allocation"
    assert classify("aten.permute") == "view"
    assert classify("aten.clone") == "copy"
    assert classify("aten._local_scalar_dense") == "host_read"
    assert classify("aten.mm") == "compute"
    assert classify("aten.add") == "compute"
    assert classify("mylib.custom_op") == "custom"  # judged by the aten ops it runs
