"""Sum over one dimension with keepdim=True, as a tiled Triton reduction.

The input is viewed as (outer, R, inner): the reduced dimension R sits between the dimensions
before it (outer) and after it (inner). Each program owns one outer index and a block of inner
columns and walks down R in tiles, accumulating in fp32. Reading a [BLOCK_R, BLOCK_INNER] tile keeps
loads coalesced along the contiguous inner dimension. Traffic: one read of x, a tiny write.
"""
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def sum_middle_kernel(
    x_ptr, out_ptr,
    R, INNER,
    stride_xo, stride_xr, stride_xi,
    stride_oo, stride_oi,
    BLOCK_R: tl.constexpr, BLOCK_INNER: tl.constexpr,
):
    # Program (o, j) reduces x[o, :, j*BLOCK_INNER : (j+1)*BLOCK_INNER].
    pid_o = tl.program_id(axis=0)
    pid_i = tl.program_id(axis=1)
    cols = pid_i * BLOCK_INNER + tl.arange(0, BLOCK_INNER)
    col_mask = cols < INNER
    acc = tl.zeros([BLOCK_INNER], dtype=tl.float32)
    base = x_ptr + pid_o * stride_xo
    # Walk down the reduced dimension one tile at a time; the last tile may be ragged.
    for r0 in range(0, R, BLOCK_R):
        rows = r0 + tl.arange(0, BLOCK_R)
        mask = (rows[:, None] < R) & col_mask[None, :]
        ptrs = base + rows[:, None] * stride_xr + cols[None, :] * stride_xi
        tile = tl.load(ptrs, mask=mask, other=0.0).to(tl.float32)
        # Fold the tile's rows into the running per-column sum.
        acc += tl.sum(tile, axis=0)
    out_ptrs = out_ptr + pid_o * stride_oo + cols * stride_oi
    tl.store(out_ptrs, acc.to(out_ptr.dtype.element_ty), mask=col_mask)


class ModelNew(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.dim = dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        dim = self.dim % x.dim()
        # The (outer, R, inner) view needs a dense layout; a no-op for the usual input.
        x = x.contiguous()
        outer = 1
        for size in x.shape[:dim]:
            outer *= size
        inner = 1
        for size in x.shape[dim + 1:]:
            inner *= size
        R = x.shape[dim]
        x3 = x.view(outer, R, inner)
        out_shape = list(x.shape)
        out_shape[dim] = 1
        out = torch.empty(out_shape, dtype=x.dtype, device=x.device)
        out2 = out.view(outer, inner)
        # Tiles of at most 32 x 128 elements; smaller when the tensor is smaller.
        BLOCK_INNER = min(128, triton.next_power_of_2(inner))
        BLOCK_R = min(32, triton.next_power_of_2(R))
        grid = (outer, triton.cdiv(inner, BLOCK_INNER))
        sum_middle_kernel[grid](
            x3, out2, R, inner,
            x3.stride(0), x3.stride(1), x3.stride(2),
            out2.stride(0), out2.stride(1),
            BLOCK_R=BLOCK_R, BLOCK_INNER=BLOCK_INNER,
        )
        return out
