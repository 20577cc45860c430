"""InstanceNorm2d (affine) and GroupNorm on the same input."""
import torch
import torch.nn as nn

BATCH = 3
CHANNELS = 6
GROUPS = 3
H = 5
W = 9


class Model(nn.Module):
    def __init__(self, channels, groups):
        super().__init__()
        self.inorm = nn.InstanceNorm2d(channels, affine=True)
        self.gnorm = nn.GroupNorm(groups, channels)

    def forward(self, x):
        return self.inorm(x), self.gnorm(x)


def get_inputs():
    return [torch.randn(BATCH, CHANNELS, H, W) * 3 - 1]


def get_init_inputs():
    return [CHANNELS, GROUPS]
