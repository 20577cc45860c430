# problem: 02_sum_dim1.py
# expect-stage: correctness
# expect-code: shape_mismatch
# exploit: computes the right sums but drops the kept dimension, returning (batch, dim2) instead of (batch, 1, dim2)
"""Right values, wrong shape: a broadcasting comparison would hide the missing keepdim."""
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def sum_dim1_kernel(x_ptr, out_ptr, R, INNER, BLOCK_R: tl.constexpr, BLOCK_INNER: tl.constexpr):
    pid_o = tl.program_id(axis=0)
    pid_i = tl.program_id(axis=1)
    cols = pid_i * BLOCK_INNER + tl.arange(0, BLOCK_INNER)
    acc = tl.zeros([BLOCK_INNER], dtype=tl.float32)
    for r0 in range(0, R, BLOCK_R):
        rows = r0 + tl.arange(0, BLOCK_R)
        mask = (rows[:, None] < R) & (cols[None, :] < INNER)
        ptrs = x_ptr + pid_o * R * INNER + rows[:, None] * INNER + cols[None, :]
        acc += tl.sum(tl.load(ptrs, mask=mask, other=0.0), axis=0)
    tl.store(out_ptr + pid_o * INNER + cols, acc, mask=cols < INNER)


class ModelNew(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.dim = dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.contiguous()
        B, R, INNER = x.shape
        out = torch.empty((B, INNER), dtype=x.dtype, device=x.device)
        BLOCK_INNER = min(128, triton.next_power_of_2(INNER))
        BLOCK_R = min(32, triton.next_power_of_2(R))
        grid = (B, triton.cdiv(INNER, BLOCK_INNER))
        sum_dim1_kernel[grid](x, out, R, INNER, BLOCK_R=BLOCK_R, BLOCK_INNER=BLOCK_INNER)
        return out
