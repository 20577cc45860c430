"""Two 2-D convolutions in a row: 'same' padding with an even span along both dimensions (the odd
padding row and column go after the input) and a dilation, ReLU in its epilogue; then a grouped,
strided, dilated one with a different padding per dimension, over 20 input channels per group
(more than one reduction slice, the last one part padding)."""
import torch
import torch.nn as nn

BATCH = 2
IN_CHANNELS = 3
MID_CHANNELS = 40
OUT_CHANNELS = 12
H, W = 7, 9


class Model(nn.Module):
    def __init__(self, in_channels, mid_channels, out_channels):
        super().__init__()
        self.first = nn.Conv2d(in_channels, mid_channels, (4, 2), padding="same", dilation=(1, 3))
        self.second = nn.Conv2d(mid_channels, out_channels, 3, stride=(2, 1), padding=(2, 0), dilation=(1, 2), groups=2, bias=False)

    def forward(self, x):
        return self.second(torch.relu(self.first(x)))


def get_inputs():
    return [torch.randn(BATCH, IN_CHANNELS, H, W)]


def get_init_inputs():
    return [IN_CHANNELS, MID_CHANNELS, OUT_CHANNELS]
