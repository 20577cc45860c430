"""One program per row: mean and variance, normalise, then the mean of the normalised row."""
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def normalized_mean_kernel(x_ptr, out_ptr, dim, stride, eps, BLOCK_SIZE: tl.constexpr):
    row = tl.program_id(axis=0)
    cols = tl.arange(0, BLOCK_SIZE)
    mask = cols < dim
    x = tl.load(x_ptr + row * stride + cols, mask=mask, other=0.0)
    mean = tl.sum(x, axis=0) / dim
    centered = tl.where(mask, x - mean, 0.0)
    var = tl.sum(centered * centered, axis=0) / dim
    y = centered / tl.sqrt(var + eps)
    tl.store(out_ptr + row, tl.sum(y, axis=0) / dim)


class ModelNew(nn.Module):
    def __init__(self, eps: float):
        super().__init__()
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.contiguous()
        rows, dim = x.shape
        out = torch.empty(rows, device=x.device, dtype=x.dtype)
        normalized_mean_kernel[(rows,)](x, out, dim, x.stride(0), self.eps,
                                        BLOCK_SIZE=triton.next_power_of_2(dim))
        return out
