"""BatchNorm2d: batch statistics in training mode (and running-stat updates), running ones in eval."""
import torch
import torch.nn as nn

BATCH = 4
CHANNELS = 6
H = 5
W = 7


class Model(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.bn = nn.BatchNorm2d(channels)

    def forward(self, x):
        return self.bn(x)


def get_inputs():
    return [torch.randn(BATCH, CHANNELS, H, W) * 2 + 1]


def get_init_inputs():
    return [CHANNELS]
