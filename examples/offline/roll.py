"""torch.roll along one dim, along two with a negative shift and one past the size, of the
flattened tensor, and of a transposed view, each followed by pointwise work."""
import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self, shift):
        super().__init__()
        self.shift = shift

    def forward(self, x):
        a = torch.roll(x, shifts=self.shift, dims=-1) * 2.0
        b = torch.roll(x, shifts=(-2, 23), dims=(1, 3)) + x
        c = torch.sigmoid(torch.roll(x, 5))
        d = torch.roll(x.transpose(2, 3), shifts=1, dims=2) - 1.0
        return a, b, c, d


def get_inputs():
    return [torch.randn(2, 3, 5, 9)]


def get_init_inputs():
    return [4]
