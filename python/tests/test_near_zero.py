"""Outputs that are rounding noise around an exact zero, judged at the scale of the computation."""
import pytest
import torch

from tritonize_harness.compare import compare_outputs, is_rounding_noise_around_zero
from tritonize_harness.failure import Failure


def normalized_row_means(x: torch.Tensor) -> torch.Tensor:
    return ((x - x.mean(1, keepdim=True)) / x.std(1, unbiased=False, keepdim=True)).mean(1)


def test_an_honest_near_zero_output_passes_against_float64():
    torch.manual_seed(0)
    x = torch.randn(6, 1203) * 3 + 1
    ref, exact = normalized_row_means(x), normalized_row_means(x.double())
    out = -ref  # other rounding noise of the same size
    with pytest.raises(Failure):
        compare_outputs([ref], [out], 0)  # the scaled rule alone refuses it
    c = compare_outputs([ref], [out], 0, exact=lambda: [exact])
    assert c.judged_exact and c.degenerate
    assert compare_outputs([ref], [torch.zeros_like(ref)], 0, exact=lambda: [exact]).judged_exact


def test_a_constant_where_the_output_is_small_but_real_fails():
    torch.manual_seed(0)
    x = torch.randn(6, 300)
    ref, exact = x.mean(1) * 1e-4, x.double().mean(1) * 1e-4
    assert not is_rounding_noise_around_zero(ref, [(None, exact)], torch.zeros_like(ref))
    with pytest.raises(Failure) as info:
        compare_outputs([ref], [torch.zeros_like(ref)], 0, exact=lambda: [exact])
    assert info.value.code == "degenerate_mismatch"


def test_noise_far_larger_than_eager_s_fails():
    ref = torch.full((4,), 1e-8)
    exact = torch.zeros(4, dtype=torch.float64)
    assert not is_rounding_noise_around_zero(ref, [(None, exact)], torch.full((4,), 1e-6))
