"""Variances read once and extrema with indices in one-pass groups: a row std over 10007 columns of
three rows (split across programs), a variance over many rows of 3000 columns far from zero (one
looping read per row), mean, variance and min-with-indices of rows longer than one block (one
kernel, one read), sum, argmin and max (keepdim, values) of short rows (one kernel), and mean, std,
max-abs and 1-norm over the long slow dimension of a narrow input (few long rows: one group split
across programs; its argmax keeps a kernel of its own)."""
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

    def forward(self, x, z, u, y, v):
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
            v.mean(dim=0),
            v.std(dim=0),
            torch.linalg.vector_norm(v, float("inf"), dim=0),
            torch.linalg.vector_norm(v, 1, dim=0),
            v.argmax(dim=0),
        )


def get_inputs():
    return [torch.randn(ROWS, COLS) + 5.0, torch.randn(MANY, MID) * 2 + 50.0, torch.randn(6, 5000) + 3.0, torch.randn(MANY, SHORT), torch.randn(5000, 7) * 3 + 20.0]


def get_init_inputs():
    return []
