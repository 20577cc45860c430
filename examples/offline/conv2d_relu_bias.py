"""Level-2 style chain: a 2-D convolution with bias, ReLU, then a learned per-channel bias
(C, 1, 1) added: all of it one kernel, the chain as the convolution's epilogue."""
import torch
import torch.nn as nn

BATCH = 2
IN_CHANNELS = 5
OUT_CHANNELS = 20
HEIGHT = 11
WIDTH = 9


class Model(nn.Module):
    def __init__(self, in_channels, out_channels, kernel_size):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, padding=1)
        self.bias = nn.Parameter(torch.randn(out_channels, 1, 1) * 0.1)

    def forward(self, x):
        return torch.relu(self.conv(x)) + self.bias


def get_inputs():
    return [torch.randn(BATCH, IN_CHANNELS, HEIGHT, WIDTH)]


def get_init_inputs():
    return [IN_CHANNELS, OUT_CHANNELS, 3]
