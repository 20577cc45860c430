"""Convolutions of unbatched inputs ((C, L) and (C, H, W), as PyTorch accepts them): a batch of one
for the kernel, the result without the batch dimension; one with a ReLU and a bias fused, one
transposed and strided."""
import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv1d(4, 6, 3, padding=1)
        self.c2 = nn.ConvTranspose2d(3, 2, 3, stride=2)
        self.bias = nn.Parameter(torch.randn(6, 1))

    def forward(self, x, y):
        return torch.relu(self.c1(x)) + self.bias, self.c2(y)


def get_inputs():
    return [torch.randn(4, 19), torch.randn(3, 5, 6)]


def get_init_inputs():
    return []
