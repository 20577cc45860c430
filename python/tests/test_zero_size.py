"""Zero-size tensors: an empty output has nothing to compute and shares no memory with anything."""
import pytest

from conftest import fixture
from tritonize_harness.verify import VerifyOptions, verify


@pytest.mark.parametrize("candidate", ["zero_size_relu_kernel.py", "zero_size_relu_skips_launch.py"])
def test_honest_kernels_on_empty_inputs_are_accepted(candidate):
    doc = verify(VerifyOptions(problem=fixture("zero_size_relu.py"), candidate=fixture(candidate), device="cpu", trials=2))
    assert doc["ok"], doc["message"]


def test_the_same_wrapper_with_elements_launches_and_is_judged_as_usual():
    doc = verify(VerifyOptions(problem=fixture("zero_size_relu.py"), candidate=fixture("zero_size_relu_skips_launch.py"),
                               device="cpu", trials=1, sets={"N": "3"}))
    assert doc["ok"], doc["message"]
    assert doc["launches"] > 0
