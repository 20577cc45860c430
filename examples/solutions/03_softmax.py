"""Row softmax over the last dimension, for rows longer than one Triton block.

One program per row. Pass 1 streams the row in blocks and keeps an online maximum m and a sum s of
exp(x - m), rescaling s whenever m grows (so exp never overflows, whatever the row's range).
Pass 2 streams the row again and writes exp(x - m) / s. Traffic: two reads and one write per element;
a row that fits one block could be done in one read, but rows here are longer than a block.
"""
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def softmax_kernel(
    x_ptr, out_ptr, n_cols,
    stride_xr, stride_xc, stride_or, stride_oc,
    BLOCK_SIZE: tl.constexpr,
):
    row = tl.program_id(axis=0)
    x_row = x_ptr + row * stride_xr
    out_row = out_ptr + row * stride_or
    # Running maximum and running sum of exp(x - max), both fp32 scalars.
    m = tl.full([], float("-inf"), dtype=tl.float32)
    s = tl.zeros([], dtype=tl.float32)
    # Pass 1: online max and normaliser. Masked lanes read -inf, so they add exp(-inf) = 0.
    for start in range(0, n_cols, BLOCK_SIZE):
        cols = start + tl.arange(0, BLOCK_SIZE)
        mask = cols < n_cols
        x = tl.load(x_row + cols * stride_xc, mask=mask, other=float("-inf")).to(tl.float32)
        m_new = tl.maximum(m, tl.max(x, axis=0))
        # Every block holds at least one real element, so m_new is finite and exp(m - m_new) is
        # well defined (exp(-inf) = 0 on the first block).
        s = s * tl.exp(m - m_new) + tl.sum(tl.exp(x - m_new), axis=0)
        m = m_new
    # Pass 2: normalise and store.
    for start in range(0, n_cols, BLOCK_SIZE):
        cols = start + tl.arange(0, BLOCK_SIZE)
        mask = cols < n_cols
        x = tl.load(x_row + cols * stride_xc, mask=mask, other=float("-inf")).to(tl.float32)
        y = tl.exp(x - m) / s
        tl.store(out_row + cols * stride_oc, y.to(out_ptr.dtype.element_ty), mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n_cols = x.shape[-1]
        # Rows are addressed through strides, so any 2D layout works; higher ranks are flattened.
        x2 = x.reshape(-1, n_cols) if x.dim() != 2 else x
        n_rows = x2.shape[0]
        out = torch.empty((n_rows, n_cols), dtype=x.dtype, device=x.device)
        # Blocks of at most 1024 columns; longer rows loop over several blocks.
        BLOCK_SIZE = min(1024, triton.next_power_of_2(n_cols))
        softmax_kernel[(n_rows,)](
            x2, out, n_cols,
            x2.stride(0), x2.stride(1), out.stride(0), out.stride(1),
            BLOCK_SIZE=BLOCK_SIZE,
        )
        return out.view(x.shape)
