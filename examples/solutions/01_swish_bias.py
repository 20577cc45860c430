"""Swish plus a scalar bias, y = x * sigmoid(x) + bias, as one Triton pointwise kernel.

Memory traffic: one read and one write of x (8 bytes per fp32 element); the op is bandwidth
bound, so the kernel's job is to touch each element once, in wide coalesced blocks.
"""
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def swish_bias_kernel(x_ptr, out_ptr, n_elements, bias, BLOCK_SIZE: tl.constexpr):
    # Each program handles one contiguous block of BLOCK_SIZE elements of the flattened tensor.
    pid = tl.program_id(axis=0)
    offsets = pid * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    # The last block may run past the end when n_elements is not a multiple of BLOCK_SIZE.
    mask = offsets < n_elements
    x = tl.load(x_ptr + offsets, mask=mask).to(tl.float32)
    # sigmoid(x) = 1 / (1 + exp(-x)); for very negative x, exp(-x) is inf and the result is 0.
    y = x * tl.sigmoid(x) + bias
    tl.store(out_ptr + offsets, y.to(out_ptr.dtype.element_ty), mask=mask)


class ModelNew(nn.Module):
    def __init__(self, bias: float):
        super().__init__()
        self.bias = bias

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # A flat index needs a dense layout; contiguous() is a no-op for the usual input.
        x = x.contiguous()
        out = torch.empty_like(x)
        n_elements = x.numel()
        # Large blocks for large tensors; small tensors get a single right-sized block.
        BLOCK_SIZE = min(1024, triton.next_power_of_2(max(n_elements, 16)))
        grid = (triton.cdiv(n_elements, BLOCK_SIZE),)
        swish_bias_kernel[grid](x, out, n_elements, self.bias, BLOCK_SIZE=BLOCK_SIZE)
        return out
