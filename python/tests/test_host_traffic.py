"""Judging data that crossed between tensors and Python in one forward call."""
import pytest

from tritonize_harness.failure import Failure
from tritonize_harness.host_traffic import HOST_READ_LIMIT, HOST_VALUES_LIMIT, judge_host_traffic


def call(ops=None, profiled=None, casts=(), reads=(), values=()):
    return {"ops": ops or {}, "profiledOps": profiled or {}, "casts": list(casts),
            "hostReads": list(reads), "hostValues": list(values)}


def test_a_few_scalars_for_control_flow_pass():
    judge_host_traffic(call(ops={"aten._local_scalar_dense": 2}, values=[{"route": "torch.tensor", "count": 4}]), 0, 1)


def test_scalar_reads_in_a_loop_fail_naming_the_route():
    with pytest.raises(Failure) as info:
        judge_host_traffic(call(ops={"aten._local_scalar_dense": HOST_READ_LIMIT + 1}), 0, 1)
    assert info.value.code == "host_read" and "scalar reads" in info.value.details["route"]


def test_reads_the_profiler_alone_saw_count():
    # printing a tensor reads it with dispatch modes disabled; the profiler still records the reads
    with pytest.raises(Failure):
        judge_host_traffic(call(profiled={"aten._local_scalar_dense": 50, "aten.item": 50}), 0, 1)


def test_a_tolist_of_the_input_fails_with_its_place():
    with pytest.raises(Failure) as info:
        judge_host_traffic(call(reads=[{"route": "Tensor.tolist()", "count": 3341, "where": "cand.py:12"}]), 2, 1)
    d = info.value.details
    assert (d["route"], d["where"], d["count"], d["trial"]) == ("Tensor.tolist()", "cand.py:12", 3341, 2)


def test_device_copies_count_both_ways():
    to_host = {"op": "aten._to_copy", "from": "torch.float32@cuda:0", "to": "torch.float32@cpu", "numel": 100}
    with pytest.raises(Failure) as info:
        judge_host_traffic(call(casts=[to_host]), 0, 1)
    assert info.value.code == "host_read"
    upload = {"op": "aten._to_copy", "from": "torch.float32@cpu", "to": "torch.float32@cuda:0", "numel": 100}
    with pytest.raises(Failure) as info:
        judge_host_traffic(call(casts=[upload]), 0, 1)
    assert info.value.code == "host_data"


def test_a_python_computed_result_uploaded_fails():
    with pytest.raises(Failure) as info:
        judge_host_traffic(call(values=[{"route": "torch.tensor", "count": HOST_VALUES_LIMIT + 1, "where": "c.py:3"}]), 0, 1)
    assert info.value.code == "host_data"
