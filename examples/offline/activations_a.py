"""Activations, first half: each one applied to the same (odd-sized) input, returned as a tuple."""
import torch
import torch.nn as nn
import torch.nn.functional as F

ROWS = 19
COLS = 67


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return (
            torch.relu(x),
            F.leaky_relu(x, negative_slope=0.2),
            torch.sigmoid(x),
            torch.tanh(x),
            F.gelu(x),
            F.gelu(x, approximate="tanh"),
            F.selu(x),
            F.elu(x, alpha=0.7),
        )


def get_inputs():
    return [torch.randn(ROWS, COLS) * 3]


def get_init_inputs():
    return []
