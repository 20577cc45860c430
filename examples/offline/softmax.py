"""Softmax over the last dim (odd width), log-softmax over a middle dim, and one long row (looped)."""
import torch
import torch.nn as nn

ROWS = 7
COLS = 300
LONG = 9001


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x, y, z):
        return torch.softmax(x * 4.0, dim=-1), torch.log_softmax(y, dim=1), torch.softmax(z, dim=1)


def get_inputs():
    return [torch.randn(ROWS, COLS), torch.randn(4, 37, 5), torch.randn(2, LONG) * 10]


def get_init_inputs():
    return []
