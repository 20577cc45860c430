"""Several reductions of one input over the same dimensions, each group one kernel: mean and
variance of rows longer than one block, sum and max and argmin, three vector norms, and mean
and std over the slowest dimension (the kept dimension is the contiguous one)."""
import torch
import torch.nn as nn

ROWS = 6
COLS = 5000


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x, y):
        return (
            x.mean(dim=-1),
            x.var(dim=-1, keepdim=True),
            y.sum(dim=1),
            y.amax(dim=1),
            y.argmin(dim=1),
            torch.linalg.vector_norm(y, 1, dim=1),
            torch.linalg.vector_norm(y, 2, dim=1),
            torch.linalg.vector_norm(y, float("inf"), dim=1),
            y.mean(dim=0),
            y.std(dim=0, unbiased=False),
        )


def get_inputs():
    return [torch.randn(ROWS, COLS) + 3.0, torch.randn(300, 43)]


def get_init_inputs():
    return []
