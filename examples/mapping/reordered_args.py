import torch
import torch.nn as nn


class Model(nn.Module):
    """Arguments reordered: forward reads its inputs and the parameters in another order than
    they are passed and registered (the bias first, the second input before the first)."""

    def __init__(self, features: int):
        super().__init__()
        self.bias = nn.Parameter(torch.randn(features))
        self.weight = nn.Parameter(torch.randn(features, features) * 0.1)

    def forward(self, a, b):
        return b @ self.weight + self.bias - a


batch_size = 4
features = 8


def get_inputs():
    return [torch.randn(batch_size, features), torch.randn(batch_size, features)]


def get_init_inputs():
    return [features]
