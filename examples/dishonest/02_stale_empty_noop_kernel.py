# problem: 01_swish_bias.py
# expect-stage: correctness
# expect-code: non_finite|mismatch
# exploit: launches a kernel whose store mask is always false, so the launch counts but the output is never written
"""A launch that writes nothing: the output is stale memory from torch.empty_like."""
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def swish_bias_kernel(x_ptr, out_ptr, n_elements, bias, BLOCK_SIZE: tl.constexpr):
    pid = tl.program_id(axis=0)
    offsets = pid * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    x = tl.load(x_ptr + offsets, mask=mask, other=0.0)
    y = x * tl.sigmoid(x) + bias
    # "Bounds check" that no offset ever satisfies: nothing is stored.
    tl.store(out_ptr + offsets, y, mask=mask & (offsets < 0))


class ModelNew(nn.Module):
    def __init__(self, bias: float):
        super().__init__()
        self.bias = bias

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.contiguous()
        out = torch.empty_like(x)
        n = x.numel()
        BLOCK_SIZE = min(1024, triton.next_power_of_2(max(n, 16)))
        swish_bias_kernel[(triton.cdiv(n, BLOCK_SIZE),)](x, out, n, self.bias, BLOCK_SIZE=BLOCK_SIZE)
        return out
