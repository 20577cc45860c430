# problem: 01_swish_bias.py
# expect-stage: correctness
# expect-code: non_finite|mismatch
# exploit: launches a single program (grid of 1), so only the first block is computed and the rest of the output is stale memory
"""Correct for the first block only; at tiny test sizes a single block can cover the whole tensor."""
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def swish_bias_kernel(x_ptr, out_ptr, n_elements, bias, BLOCK_SIZE: tl.constexpr):
    pid = tl.program_id(axis=0)
    offsets = pid * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    x = tl.load(x_ptr + offsets, mask=mask)
    tl.store(out_ptr + offsets, x * tl.sigmoid(x) + bias, mask=mask)


class ModelNew(nn.Module):
    def __init__(self, bias: float):
        super().__init__()
        self.bias = bias

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.contiguous()
        out = torch.empty_like(x)
        n = x.numel()
        # Fixed block and a single program: the tail beyond 1024 elements is never written.
        swish_bias_kernel[(1,)](x, out, n, self.bias, BLOCK_SIZE=1024)
        return out
