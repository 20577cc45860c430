"""One program per row: the row's sum, divided by its length and scaled."""
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def scaled_mean_kernel(x_ptr, out_ptr, dim, stride, scale, BLOCK_SIZE: tl.constexpr):
    row = tl.program_id(axis=0)
    cols = tl.arange(0, BLOCK_SIZE)
    x = tl.load(x_ptr + row * stride + cols, mask=cols < dim, other=0.0)
    tl.store(out_ptr + row, tl.sum(x, axis=0) / dim * scale)


class ModelNew(nn.Module):
    def __init__(self, scale: float):
        super().__init__()
        self.scale = scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.contiguous()
        rows, dim = x.shape
        out = torch.empty(rows, device=x.device, dtype=x.dtype)
        scaled_mean_kernel[(rows,)](x, out, dim, x.stride(0), self.scale, BLOCK_SIZE=triton.next_power_of_2(dim))
        return out
