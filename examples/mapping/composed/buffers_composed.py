# A composed program for ../buffers.py as a model-written composer might leave it: its kernels are
# right, but its own class keeps the standardisation in one stacked buffer, so its __init__ is not
# Model's and the mapping onto Model's buffers must be written, not read off the capture.
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def _sg1_kernel(x_ptr, shift_ptr, scale_ptr, out_ptr, n, features, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    col = offs % features
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    y = (x - tl.load(shift_ptr + col, mask=mask, other=0.0)) * tl.load(scale_ptr + col, mask=mask, other=0.0)
    tl.store(out_ptr + offs, tl.sigmoid(y), mask=mask)


def _sg1_run(x0, w0, w1):
    out = torch.empty_like(x0)
    n = x0.numel()
    _sg1_kernel[(triton.cdiv(n, 256),)](x0, w0, w1, out, n, x0.shape[-1], BLOCK=256)
    return (out,)


class ModelNew(nn.Module):
    def __init__(self, features: int):
        super().__init__()
        self.register_buffer("standardise", torch.stack([torch.randn(features), torch.rand(features) + 0.5]))

    def forward(self, x):
        return _sg1_run(x, self.standardise[0], self.standardise[1])[0]
