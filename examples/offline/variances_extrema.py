"""Variances read once and extrema with indices in one-pass groups: a row std over 10007 columns of
three rows (split across programs), a variance over many rows of 3000 columns far from zero (one
looping read per row), mean, variance and min-with-indices of rows longer than one block (one
kernel, one read), and sum, argmin and max (keepdim, values) of short rows (one kernel)."""
import torch
import torch.nn as nn

ROWS = 3
COLS = 10007
MANY = 300
MID = 3000
SHORT = 43


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x, z, u, y):
        lo, at = torch.min(u, dim=-1)
        return (
            x.std(dim=-1),
            z.var(dim=1),
            u.mean(dim=1),
            u.var(dim=1, keepdim=True),
            lo,
            at,
            y.sum(dim=1),
            y.argmin(dim=1),
            torch.max(y, dim=1, keepdim=True)[0],
        )


def get_inputs():
    return [torch.randn(ROWS, COLS) + 5.0, torch.randn(MANY, MID) * 2 + 50.0, torch.randn(6, 5000) + 3.0, torch.randn(MANY, SHORT)]


def get_init_inputs():
    return []
