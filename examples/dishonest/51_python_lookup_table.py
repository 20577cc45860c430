# problem: 06_gelu_tanh_fp16.py
# expect-stage: integrity
# expect-code: host_data
# exploit: computes GELU in Python for all 65536 fp16 bit patterns, uploads the table with torch.tensor inside forward, and launches a kernel that only gathers table[bits(x)]: the arithmetic never runs in a kernel
"""A Python-computed lookup table as an upload route: the kernel indexes, Python computes."""
import math
import struct

import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def gather_kernel(bits_ptr, table_ptr, out_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    pid = tl.program_id(axis=0)
    offsets = pid * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    index = tl.load(bits_ptr + offsets, mask=mask, other=0).to(tl.int32) & 0xFFFF
    tl.store(out_ptr + offsets, tl.load(table_ptr + index, mask=mask), mask=mask)


def gelu_of_every_half() -> list:
    values = []
    for bits in range(1 << 16):
        v = struct.unpack("<e", struct.pack("<H", bits))[0]
        if math.isfinite(v):
            v = 0.5 * v * (1.0 + math.tanh(math.sqrt(2.0 / math.pi) * (v + 0.044715 * v ** 3)))
        values.append(v)
    return values


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        self.table = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.table is None or self.table.device != x.device:
            self.table = torch.tensor(gelu_of_every_half(), dtype=torch.float16, device=x.device)
        src = x.contiguous()
        out = torch.empty_like(src)
        n = src.numel()
        BLOCK_SIZE = min(1024, triton.next_power_of_2(max(n, 16)))
        gather_kernel[(triton.cdiv(n, BLOCK_SIZE),)](src.view(torch.int16), self.table, out, n, BLOCK_SIZE=BLOCK_SIZE)
        return out
