# problem: 01_swish_bias.py
# expect: accepted
"""Swish with libdevice's exp through a module import, a fresh standard-library import inside
forward, a Python float argument converted in the kernel, and a small host-side read for control flow."""
import math
from typing import Callable

import torch
import torch.nn as nn
import triton
import triton.language as tl
from triton.language.extra import libdevice


@triton.jit
def swish_bias_kernel(x_ptr, out_ptr, n_elements, bias, BLOCK_SIZE: tl.constexpr):
    offsets = tl.program_id(axis=0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    x = tl.load(x_ptr + offsets, mask=mask)
    y = x / (1.0 + libdevice.exp(-x)) + bias.to(tl.float32)
    tl.store(out_ptr + offsets, y, mask=mask)


@triton.jit
def max_abs_kernel(x_ptr, out_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    offsets = tl.arange(0, BLOCK_SIZE)
    acc = tl.zeros([BLOCK_SIZE], dtype=tl.float32)
    for start in range(0, n_elements, BLOCK_SIZE):
        x = tl.load(x_ptr + start + offsets, mask=start + offsets < n_elements, other=0.0)
        acc = tl.maximum(acc, tl.abs(x))
    tl.store(out_ptr, tl.max(acc, axis=0))


def grid_for(n: int, block: int) -> Callable[[dict], tuple]:
    return lambda meta: (triton.cdiv(n, meta["BLOCK_SIZE"]),)


class ModelNew(nn.Module):
    def __init__(self, bias: float):
        super().__init__()
        self.bias = float(bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        import statistics  # a fresh import of a pure-Python module, inside forward

        x = x.contiguous()
        n = x.numel()
        peak = torch.empty(1, device=x.device, dtype=torch.float32)
        max_abs_kernel[(1,)](x, peak, n, BLOCK_SIZE=1024)
        if peak.item() > 1e30:  # one scalar read back for control flow
            raise ValueError("input out of range")
        out = torch.empty_like(x)
        block = statistics.median([256, 1024, 4096]) if n > 4096 else 256
        swish_bias_kernel[grid_for(n, block)](x, out, n, self.bias, BLOCK_SIZE=block)
        assert math.isfinite(self.bias)
        return out
