import torch
import torch.nn as nn


class Model(nn.Module):
    """No parameters or buffers at all: the mapping is forward's inputs only."""

    def __init__(self):
        super().__init__()

    def forward(self, x, y):
        return torch.softmax(x * y, dim=-1)


batch_size = 4
features = 8


def get_inputs():
    return [torch.randn(batch_size, features), torch.randn(batch_size, features)]


def get_init_inputs():
    return []
