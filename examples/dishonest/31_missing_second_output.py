# problem: 07_row_mean_var.py
# expect-stage: correctness
# expect-code: output_count_mismatch
# exploit: returns only the row means (one tensor) for a problem whose reference returns (mean, var)
"""Drops the harder of two outputs."""
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def row_mean_kernel(x_ptr, mean_ptr, n_cols, stride_xr, BLOCK_SIZE: tl.constexpr):
    row = tl.program_id(axis=0)
    acc = tl.zeros([BLOCK_SIZE], dtype=tl.float32)
    for start in range(0, n_cols, BLOCK_SIZE):
        cols = start + tl.arange(0, BLOCK_SIZE)
        acc += tl.load(x_ptr + row * stride_xr + cols, mask=cols < n_cols, other=0.0)
    tl.store(mean_ptr + row, tl.sum(acc, axis=0) / n_cols)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor):
        x = x.contiguous()
        n_rows, n_cols = x.shape
        mean = torch.empty((n_rows,), dtype=x.dtype, device=x.device)
        BLOCK_SIZE = min(1024, triton.next_power_of_2(n_cols))
        row_mean_kernel[(n_rows,)](x, mean, n_cols, x.stride(0), BLOCK_SIZE=BLOCK_SIZE)
        return mean
