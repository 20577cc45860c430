"""y = x * scale with scale = 1e-9, as one Triton pointwise kernel.

The outputs are ~1e-9, far below the absolute tolerance, so only a relative comparison shows
whether they are right; this kernel computes them exactly as the reference does (one fp32 multiply).
"""
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def scale_kernel(x_ptr, out_ptr, n_elements, scale, BLOCK_SIZE: tl.constexpr):
    # One contiguous block of the flattened tensor per program; mask the ragged last block.
    pid = tl.program_id(axis=0)
    offsets = pid * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    x = tl.load(x_ptr + offsets, mask=mask)
    tl.store(out_ptr + offsets, x * scale, mask=mask)


class ModelNew(nn.Module):
    def __init__(self, scale: float):
        super().__init__()
        self.scale = scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.contiguous()
        out = torch.empty_like(x)
        n_elements = x.numel()
        BLOCK_SIZE = min(1024, triton.next_power_of_2(max(n_elements, 16)))
        grid = (triton.cdiv(n_elements, BLOCK_SIZE),)
        scale_kernel[grid](x, out, n_elements, self.scale, BLOCK_SIZE=BLOCK_SIZE)
        return out
