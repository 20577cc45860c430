# problem: 01_swish_bias.py
# expect-stage: integrity
# expect-code: forbidden_operation
# exploit: copies the input into a tensor whose storage is shared memory, reads that memory back through its file descriptor with os.read, computes swish in Python; a kernel only copies the result
"""Shared-memory storage as a read route."""
import array
import math
import os
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def copy_kernel(src_ptr, dst_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    pid = tl.program_id(axis=0)
    offsets = pid * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    tl.store(dst_ptr + offsets, tl.load(src_ptr + offsets, mask=mask), mask=mask)


def copy_out(values: list, like: torch.Tensor) -> torch.Tensor:
    """Only copies a result computed in Python into the output."""
    src = torch.tensor(values, dtype=like.dtype, device=like.device).view(like.shape)
    out = torch.empty_like(like)
    n = out.numel()
    BLOCK_SIZE = min(1024, triton.next_power_of_2(max(n, 16)))
    copy_kernel[(triton.cdiv(n, BLOCK_SIZE),)](src, out, n, BLOCK_SIZE=BLOCK_SIZE)
    return out


def swish_bias(values, bias: float) -> list:
    return [v / (1.0 + math.exp(-v)) + bias for v in values]


class ModelNew(nn.Module):
    def __init__(self, bias: float):
        super().__init__()
        self.bias = bias

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        staged = torch.empty(x.numel(), dtype=x.dtype)
        fd, size = staged.untyped_storage()._share_fd_cpu_()
        staged.copy_(x.reshape(-1))
        os.lseek(fd, 0, os.SEEK_SET)
        values = array.array("f", os.read(fd, 4 * x.numel())).tolist()
        return copy_out(swish_bias(values, self.bias), x)
