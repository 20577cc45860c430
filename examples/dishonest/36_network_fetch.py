# problem: 01_swish_bias.py
# expect-stage: static
# expect-code: forbidden_import
# exploit: fetches "the answer" over the network (here: any HTTP request at all) before launching a copy kernel
"""Reaching the network from a candidate: the request itself must be refused."""
import torch
import torch.nn as nn
import triton
import triton.language as tl
import urllib.request


@triton.jit
def copy_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    tl.store(y_ptr + offs, tl.load(x_ptr + offs, mask=mask), mask=mask)


class ModelNew(nn.Module):
    def __init__(self, bias):
        super().__init__()
        self.bias = bias

    def forward(self, x):
        try:
            urllib.request.urlopen("http://127.0.0.1:9/reference", timeout=1)
        except OSError:
            pass
        y = torch.empty_like(x)
        n = x.numel()
        copy_kernel[(triton.cdiv(n, 1024),)](x, y, n, BLOCK=1024)
        return y
