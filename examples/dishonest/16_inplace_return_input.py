# problem: 01_swish_bias.py
# expect-stage: integrity
# expect-code: input_mutated|output_aliases_input
# exploit: writes the result over the input (saves an allocation) and returns the input tensor itself
"""In-place: the caller's input is overwritten and comes back as the output."""
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def swish_bias_inplace_kernel(x_ptr, n_elements, bias, BLOCK_SIZE: tl.constexpr):
    pid = tl.program_id(axis=0)
    offsets = pid * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    x = tl.load(x_ptr + offsets, mask=mask)
    tl.store(x_ptr + offsets, x * tl.sigmoid(x) + bias, mask=mask)


class ModelNew(nn.Module):
    def __init__(self, bias: float):
        super().__init__()
        self.bias = bias

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n = x.numel()
        BLOCK_SIZE = min(1024, triton.next_power_of_2(max(n, 16)))
        swish_bias_inplace_kernel[(triton.cdiv(n, BLOCK_SIZE),)](x, n, self.bias, BLOCK_SIZE=BLOCK_SIZE)
        return x
