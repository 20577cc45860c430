"""The correctness rule: tolerances by dtype, non-finite values, degenerate references."""
import pytest
import torch

from tritonize_harness.compare import compare_outputs, is_degenerate
from tritonize_harness.failure import Failure


def code_of(ref, out):
    with pytest.raises(Failure) as info:
        compare_outputs(ref, out, 0)
    return info.value


def test_fp32_within_and_outside_tolerance():
    ref = torch.ones(10)
    c = compare_outputs([ref], [ref + 5e-5], 0)
    assert c.max_abs_err == pytest.approx(5e-5, rel=1e-2)
    f = code_of([ref], [ref + torch.tensor([0] * 9 + [1e-3])])
    assert f.code == "mismatch" and f.details["index"] == [9]


def test_half_precision_tolerance_is_looser():
    ref = torch.ones(4, dtype=torch.float16)
    compare_outputs([ref], [ref + 0.005], 0)
    assert code_of([ref], [ref + 0.05]).code == "mismatch"


def test_nan_where_reference_is_finite_fails():
    out = torch.ones(3, 3)
    out[1, 2] = float("nan")
    f = code_of([torch.ones(3, 3)], [out])
    assert f.code == "non_finite" and f.details["index"] == [1, 2]


def test_matching_special_values_pass():
    ref = torch.tensor([1.0, float("inf"), float("nan")])
    compare_outputs([ref], [ref.clone()], 0)
    assert code_of([ref], [torch.tensor([1.0, 0.0, float("nan")])]).code == "mismatch"


def test_shape_dtype_and_count():
    ref = torch.ones(2, 3)
    assert code_of([ref], [torch.ones(3, 2)]).code == "shape_mismatch"
    assert code_of([ref], [torch.ones(2, 3, dtype=torch.float64)]).code == "dtype_mismatch"
    assert code_of([ref, ref], [ref]).code == "output_count_mismatch"


def test_zeros_do_not_pass_a_tiny_reference():
    ref = torch.randn(100) * 1e-9
    assert is_degenerate(ref)
    f = code_of([ref], [torch.zeros(100)])
    assert f.code == "degenerate_mismatch"
    c = compare_outputs([ref], [ref * (1 + 1e-6)], 0)
    assert c.degenerate


def test_exact_zero_reference_needs_exact_zeros():
    ref = torch.zeros(5)
    compare_outputs([ref], [torch.zeros(5)], 0)
    assert code_of([ref], [torch.full((5,), 1e-7)]).code == "degenerate_mismatch"


def test_deep_sums_are_judged_against_the_exact_result_when_eager_is_further_off():
    exact = torch.linspace(-1, 1, 1000, dtype=torch.float64)
    eager_error = torch.full_like(exact, 3e-4)  # eager's own rounding, above the 1e-4 tolerance
    ref = (exact + eager_error).float()
    honest = (exact - eager_error / 2).float()  # closer to the exact result than eager is
    with pytest.raises(Failure):
        compare_outputs([ref], [honest], 0)  # against eager alone it fails
    c = compare_outputs([ref], [honest], 0, exact=lambda: [exact])
    assert c.judged_exact
    cheat = (exact + 5e-3).float()  # lower-precision arithmetic: far beyond eager's error
    with pytest.raises(Failure) as info:
        compare_outputs([ref], [cheat], 0, exact=lambda: [exact])
    assert info.value.code == "mismatch"
    with pytest.raises(Failure):  # a model that cannot run in float64 keeps the first verdict
        compare_outputs([ref], [honest], 0, exact=lambda: None)


def test_slicing_does_not_change_the_verdict(monkeypatch):
    import tritonize_harness.compare as compare

    monkeypatch.setattr(compare, "CHUNK", 7)  # many slices over a 45-element output
    ref = torch.randn(5, 9)
    out = ref.clone()
    out[3, 4] += 1e-2
    out[1, 1] += 5e-3
    f = code_of([ref], [out])
    assert (f.code, f.details["index"], f.details["count"]) == ("mismatch", [3, 4], 2)
    out = ref.clone()
    out[2, 8] = float("nan")
    out[4, 0] = float("nan")
    f = code_of([ref], [out])
    assert (f.code, f.details["index"], f.details["count"]) == ("non_finite", [2, 8], 2)
    c = compare_outputs([ref], [ref + 1e-6], 0)
    assert c.max_abs_err < 2e-6
