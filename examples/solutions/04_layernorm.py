"""LayerNorm over the last dimension with elementwise affine, one program per row.

Three streaming passes over the row, as in Triton's layer-norm tutorial: the mean, then the
variance as the mean of (x - mean)^2 (two-pass, so a large row mean does not cancel precision away),
then y = (x - mean) * rstd * weight + bias. Rows may be longer than one block. Traffic: three reads
of x and one write per element, plus the weight and bias.
"""
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def layernorm_kernel(
    x_ptr, w_ptr, b_ptr, out_ptr,
    n_cols, stride_xr, stride_or, eps,
    BLOCK_SIZE: tl.constexpr,
):
    row = tl.program_id(axis=0)
    x_row = x_ptr + row * stride_xr
    out_row = out_ptr + row * stride_or
    # Pass 1: mean. Per-lane partial sums in fp32, reduced once at the end.
    acc = tl.zeros([BLOCK_SIZE], dtype=tl.float32)
    for start in range(0, n_cols, BLOCK_SIZE):
        cols = start + tl.arange(0, BLOCK_SIZE)
        x = tl.load(x_row + cols, mask=cols < n_cols, other=0.0).to(tl.float32)
        acc += x
    mean = tl.sum(acc, axis=0) / n_cols
    # Pass 2: biased variance around the mean; masked lanes must contribute 0, not mean^2.
    acc = tl.zeros([BLOCK_SIZE], dtype=tl.float32)
    for start in range(0, n_cols, BLOCK_SIZE):
        cols = start + tl.arange(0, BLOCK_SIZE)
        mask = cols < n_cols
        x = tl.load(x_row + cols, mask=mask, other=0.0).to(tl.float32)
        d = tl.where(mask, x - mean, 0.0)
        acc += d * d
    var = tl.sum(acc, axis=0) / n_cols
    rstd = 1.0 / tl.sqrt(var + eps)
    # Pass 3: normalise, apply the affine parameters, store.
    for start in range(0, n_cols, BLOCK_SIZE):
        cols = start + tl.arange(0, BLOCK_SIZE)
        mask = cols < n_cols
        x = tl.load(x_row + cols, mask=mask, other=0.0).to(tl.float32)
        w = tl.load(w_ptr + cols, mask=mask, other=0.0).to(tl.float32)
        b = tl.load(b_ptr + cols, mask=mask, other=0.0).to(tl.float32)
        y = (x - mean) * rstd * w + b
        tl.store(out_row + cols, y.to(out_ptr.dtype.element_ty), mask=mask)


class ModelNew(nn.Module):
    def __init__(self, hidden: int):
        super().__init__()
        # Same submodule and the same initialisation, in the same order as Model, so that both
        # built under one seed hold identical parameters.
        self.norm = nn.LayerNorm(hidden)
        with torch.no_grad():
            self.norm.weight.uniform_(0.5, 1.5)
            self.norm.bias.uniform_(-0.5, 0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n_cols = x.shape[-1]
        # Rows must be contiguous along the hidden dimension; a no-op for the usual input.
        x2 = x.contiguous().view(-1, n_cols)
        n_rows = x2.shape[0]
        out = torch.empty((n_rows, n_cols), dtype=x.dtype, device=x.device)
        BLOCK_SIZE = min(1024, triton.next_power_of_2(n_cols))
        layernorm_kernel[(n_rows,)](
            x2, self.norm.weight, self.norm.bias, out,
            n_cols, x2.stride(0), out.stride(0), self.norm.eps,
            BLOCK_SIZE=BLOCK_SIZE,
        )
        return out.view(x.shape)
