import torch
import torch.nn as nn


class Model(nn.Module):
    """Layers of growing width applied in a loop: each iteration is a different subgraph."""

    def __init__(self, widths: list):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(a, b) for a, b in zip(widths[:-1], widths[1:])])

    def forward(self, x):
        for layer in self.layers:
            x = torch.relu(layer(x))
        return x


batch_size = 4
widths = [8, 16, 32]


def get_inputs():
    return [torch.randn(batch_size, widths[0])]


def get_init_inputs():
    return [widths]
