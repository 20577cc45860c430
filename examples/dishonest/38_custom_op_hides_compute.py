# problem: 01_swish_bias.py
# expect-stage: integrity
# expect-code: aten_compute_op
# exploit: registers a torch.library custom operator whose body computes with torch, so the wrapper itself calls only "mylib.swish" plus a Triton copy
"""Hiding eager compute inside a custom operator: the ops it runs are still recorded."""
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def copy_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    tl.store(y_ptr + offs, tl.load(x_ptr + offs, mask=mask), mask=mask)


@torch.library.custom_op("tritonize_cheat::swish_bias", mutates_args=())
def swish_bias(x: torch.Tensor, bias: float) -> torch.Tensor:
    return x * torch.sigmoid(x) + bias


class ModelNew(nn.Module):
    def __init__(self, bias):
        super().__init__()
        self.bias = bias

    def forward(self, x):
        y = swish_bias(x, self.bias)
        out = torch.empty_like(y)
        n = y.numel()
        copy_kernel[(triton.cdiv(n, 1024),)](y, out, n, BLOCK=1024)
        return out
