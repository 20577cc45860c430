import torch
import torch.nn as nn


class Model(nn.Module):
    """A stem layer, then blocks of one width, all in one ModuleList applied in a loop with an
    activation module of the model's own: two subgraphs (the stem's, the blocks'), told apart by
    the input's shape at run time."""

    def __init__(self, widths: list):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(a, b) for a, b in zip(widths[:-1], widths[1:])])
        self.act = nn.ReLU()

    def forward(self, x):
        for layer in self.layers:
            x = self.act(layer(x))
        return x


batch_size = 4
widths = [6, 16, 16, 16]


def get_inputs():
    return [torch.randn(batch_size, widths[0])]


def get_init_inputs():
    return [widths]
