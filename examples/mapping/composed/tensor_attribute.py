import torch
import torch.nn as nn


class Model(nn.Module):
    """A tensor kept as a plain attribute, neither parameter nor buffer: capture lifts it as a
    constant, so the mapping cannot be read off the capture with certainty and a model writes it."""

    def __init__(self, features: int):
        super().__init__()
        self.scale = torch.rand(features) + 0.5

    def forward(self, x):
        return torch.relu(x * self.scale)


batch_size = 4
features = 8


def get_inputs():
    return [torch.randn(batch_size, features)]


def get_init_inputs():
    return [features]
