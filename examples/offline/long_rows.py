"""Rows longer than one block: LayerNorm and a row sum over 10007 columns; few rows of many columns
(a mean over everything, a row max of 70001): reduced in parallel chunks, then combined."""
import torch
import torch.nn as nn

ROWS = 3
COLS = 10007
WIDE = 70001


class Model(nn.Module):
    def __init__(self, cols):
        super().__init__()
        self.ln = nn.LayerNorm(cols)

    def forward(self, x, w):
        return self.ln(x), x.sum(dim=-1), (w * w).mean(), torch.amax(w, dim=1) + 1.0


def get_inputs():
    return [torch.randn(ROWS, COLS) + 5.0, torch.randn(ROWS, WIDE)]


def get_init_inputs():
    return [COLS]
