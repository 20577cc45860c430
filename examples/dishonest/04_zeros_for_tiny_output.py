# problem: 08_tiny_scale.py
# expect-stage: correctness
# expect-code: degenerate_mismatch
# exploit: writes zeros; every reference value (~1e-9) is inside atol=1e-4, so a plain allclose would accept it
"""Writes zeros and relies on the absolute tolerance swallowing outputs of order 1e-9."""
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def fill_kernel(out_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    pid = tl.program_id(axis=0)
    offsets = pid * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    # x * 1e-9 "rounds to zero at this tolerance", so skip reading x entirely.
    tl.store(out_ptr + offsets, tl.zeros([BLOCK_SIZE], dtype=tl.float32), mask=mask)


class ModelNew(nn.Module):
    def __init__(self, scale: float):
        super().__init__()
        self.scale = scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.empty_like(x)
        n = out.numel()
        BLOCK_SIZE = min(1024, triton.next_power_of_2(max(n, 16)))
        fill_kernel[(triton.cdiv(n, BLOCK_SIZE),)](out, n, BLOCK_SIZE=BLOCK_SIZE)
        return out
