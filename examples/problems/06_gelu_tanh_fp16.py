"""Pointwise GELU (tanh approximation) in fp16, on a non-contiguous (transposed) input."""
import torch
import torch.nn as nn
import torch.nn.functional as F

rows = 4096
cols = 4096


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.gelu(x, approximate="tanh")


def get_inputs():
    # The input is the transpose of a row-major buffer: column-major, stride (1, rows).
    return [torch.randn(cols, rows, dtype=torch.float16).t()]


def get_init_inputs():
    return []
