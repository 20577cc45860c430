# problem: 01_swish_bias.py
# expect-stage: correctness|integrity
# expect-code: non_finite|no_launch
# exploit: allocates the output with torch.empty_like and returns it unwritten, never launching the kernel it defines
"""Returns uninitialised memory: whatever the allocator hands back (often the freed reference output)."""
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
        # The reference output of the same shape was just freed; its memory is likely reused here.
        return torch.empty_like(x)
