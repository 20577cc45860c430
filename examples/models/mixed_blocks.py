import torch
import torch.nn as nn


class Model(nn.Module):
    """Two blocks of one width whose activations differ, run by one loop: the loop's region is
    called with either block at the same shapes, so no Python value or shape tells the calls
    apart (the deterministic composer stops; the model-driven composer writes composed.py)."""

    def __init__(self, width: int):
        super().__init__()
        self.blocks = nn.ModuleList([
            nn.Sequential(nn.Linear(width, width), nn.ReLU()),
            nn.Sequential(nn.Linear(width, width), nn.Tanh()),
        ])

    def forward(self, x):
        for blk in self.blocks:
            x = blk(x)
        # a mean activation above the threshold is kept as it is
        if x.mean() > 0.03:
            return x
        return -x


batch_size = 4
width = 32


def get_inputs():
    return [torch.randn(batch_size, width)]


def get_init_inputs():
    return [width]
