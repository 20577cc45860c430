# problem: 10_small_row_mean.py
# expect-stage: correctness
# expect-code: degenerate_mismatch
# exploit: writes zeros: the true output (~1e-5) is inside atol=1e-4, and unlike a mathematically zero output it is real, far above the float32 rounding of the computation
"""Zeros where the true output is small but real."""
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def zero_kernel(out_ptr, n, BLOCK_SIZE: tl.constexpr):
    offsets = tl.program_id(axis=0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    tl.store(out_ptr + offsets, tl.zeros([BLOCK_SIZE], dtype=tl.float32), mask=offsets < n)


class ModelNew(nn.Module):
    def __init__(self, scale: float):
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.empty(x.shape[0], device=x.device, dtype=x.dtype)
        zero_kernel[(triton.cdiv(out.numel(), 128),)](out, out.numel(), BLOCK_SIZE=128)
        return out
