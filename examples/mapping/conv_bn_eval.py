import torch
import torch.nn as nn


class Model(nn.Module):
    """Conv2d then BatchNorm2d in eval mode (the model sets it in __init__): the normalisation is
    an affine map per channel from the running statistics, foldable into the convolution."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size)
        self.bn = nn.BatchNorm2d(out_channels)
        self.eval()

    def forward(self, x):
        return torch.relu(self.bn(self.conv(x)))


batch_size = 2
in_channels = 3
out_channels = 4
kernel_size = 3
height = width = 8


def get_inputs():
    return [torch.randn(batch_size, in_channels, height, width)]


def get_init_inputs():
    return [in_channels, out_channels, kernel_size]
