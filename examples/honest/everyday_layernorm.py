# problem: 04_layernorm.py
# expect: accepted
"""LayerNorm written with everyday Python around the kernel: dataclasses, enum, typing, functools,
collections, itertools, operator, assert, libdevice imports and a backend lookup by device type."""
from __future__ import annotations

import enum
import functools
import itertools
import operator
from collections import OrderedDict, namedtuple
from dataclasses import dataclass, field
from typing import NamedTuple, Optional, Tuple

import torch
import torch.nn as nn
import triton
import triton.language as tl
from triton.language.extra.libdevice import rsqrt


class Variance(enum.Enum):
    TWO_PASS = "two-pass"


@dataclass(frozen=True)
class LaunchConfig:
    block_size: int
    num_warps: int = 4
    tags: Tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self):
        assert self.block_size & (self.block_size - 1) == 0, "block size must be a power of two"


class RowShape(NamedTuple):
    rows: int
    hidden: int


Stats = namedtuple("Stats", ["launches", "rows"])


@functools.lru_cache(maxsize=None)
def config_for(hidden: int) -> LaunchConfig:
    block = triton.next_power_of_2(hidden)
    return LaunchConfig(block_size=block, num_warps=min(8, max(1, block // 256)), tags=("layernorm",))


@triton.jit
def layernorm_kernel(x_ptr, w_ptr, b_ptr, out_ptr, hidden, eps, BLOCK_SIZE: tl.constexpr):
    row = tl.program_id(axis=0)
    cols = tl.arange(0, BLOCK_SIZE)
    mask = cols < hidden
    x = tl.load(x_ptr + row * hidden + cols, mask=mask, other=0.0)
    mean = tl.sum(x, axis=0) / hidden
    centered = tl.where(mask, x - mean, 0.0)
    var = tl.sum(centered * centered, axis=0) / hidden
    y = centered * rsqrt(var + eps.to(tl.float32))
    w = tl.load(w_ptr + cols, mask=mask)
    b = tl.load(b_ptr + cols, mask=mask)
    tl.store(out_ptr + row * hidden + cols, y * w + b, mask=mask)


class ModelNew(nn.Module):
    def __init__(self, hidden: int):
        super().__init__()
        self.norm = nn.LayerNorm(hidden)
        with torch.no_grad():
            self.norm.weight.uniform_(0.5, 1.5)
            self.norm.bias.uniform_(-0.5, 0.5)
        self.mode: Optional[Variance] = Variance.TWO_PASS
        self.history: OrderedDict[str, int] = OrderedDict()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        backend = getattr(torch, x.device.type, None)  # torch.cuda or torch.cpu
        assert backend is not None and x.dim() == 3
        shape = RowShape(functools.reduce(operator.mul, x.shape[:-1], 1), x.shape[-1])
        cfg = config_for(shape.hidden)
        x2 = x.contiguous().view(shape.rows, shape.hidden)
        out = torch.empty_like(x2)
        layernorm_kernel[(shape.rows,)](x2, self.norm.weight, self.norm.bias, out, shape.hidden, self.norm.eps,
                                        BLOCK_SIZE=cfg.block_size, num_warps=cfg.num_warps)
        self.history[self.mode.value] = self.history.get(self.mode.value, 0) + 1
        _ = Stats(launches=sum(itertools.repeat(1, 1)), rows=shape.rows)
        return out.view_as(x)
