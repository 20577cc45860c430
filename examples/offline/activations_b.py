"""Activations, second half: each one applied to the same (odd-sized) input, returned as a tuple."""
import torch
import torch.nn as nn
import torch.nn.functional as F

ROWS = 23
COLS = 45


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return (
            F.hardsigmoid(x),
            F.hardtanh(x, min_val=-0.5, max_val=2.0),
            F.hardswish(x),
            F.softplus(x),
            F.softsign(x),
            F.silu(x),
            F.mish(x),
            torch.clamp(x, min=-1.0, max=0.5),
        )


def get_inputs():
    return [torch.randn(ROWS, COLS) * 4]


def get_init_inputs():
    return []
