"""Transposed convolutions with a stride along some dimensions only: 1-D with stride 3, dilation,
output padding and groups (3 input channels per group), then 2-D with stride 1 along the rows and
2 along the columns, output padding and groups (17 input channels per group), after a reshape of
the 1-D result into an image."""
import torch
import torch.nn as nn

BATCH = 2
IN_CHANNELS = 6
LENGTH = 8


class Model(nn.Module):
    def __init__(self, in_channels):
        super().__init__()
        self.up1d = nn.ConvTranspose1d(in_channels, 68, 5, stride=3, padding=2, output_padding=1, dilation=2, groups=2)
        self.up2d = nn.ConvTranspose2d(34, 16, (3, 2), stride=(1, 2), padding=(1, 0), output_padding=(0, 1), groups=2)

    def forward(self, x):
        y = self.up1d(x)
        return self.up2d(y.reshape(y.shape[0], 34, 2, y.shape[2]))


def get_inputs():
    return [torch.randn(BATCH, IN_CHANNELS, LENGTH)]


def get_init_inputs():
    return [IN_CHANNELS]
