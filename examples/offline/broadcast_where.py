"""Broadcasting and non-contiguous inputs: x arrives transposed, y is a row vector, z a column."""
import torch
import torch.nn as nn

M = 33
N = 50


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x, y, z):
        a = torch.where(x > y, x - y, y * 2.0)
        b = a / (z.abs() + 1.0)
        return torch.clamp(b, min=-3.0) ** 2


def get_inputs():
    x = torch.randn(N, M).t()  # a transposed view: not contiguous
    return [x, torch.randn(N), torch.randn(M, 1)]


def get_init_inputs():
    return []
