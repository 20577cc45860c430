"""Rows longer than one block: LayerNorm, a row sum and a row std over 10007 columns; few rows of
many columns (a mean over everything, a row max of 70001): reduced in parallel chunks, then
combined; many rows of 3000 columns far from zero: a variance looping over each row once."""
import torch
import torch.nn as nn

ROWS = 3
COLS = 10007
WIDE = 70001
MANY = 300
MID = 3000


class Model(nn.Module):
    def __init__(self, cols):
        super().__init__()
        self.ln = nn.LayerNorm(cols)

    def forward(self, x, w, z):
        return self.ln(x), x.sum(dim=-1), x.std(dim=-1), (w * w).mean(), torch.amax(w, dim=1) + 1.0, z.var(dim=1)


def get_inputs():
    return [torch.randn(ROWS, COLS) + 5.0, torch.randn(ROWS, WIDE), torch.randn(MANY, MID) * 2 + 50.0]


def get_init_inputs():
    return [COLS]
