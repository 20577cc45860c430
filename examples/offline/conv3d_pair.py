"""3-D convolution with a different stride, padding and dilation per dimension (5 input channels:
each reduction step packs taps of the last dimension), then a 3-D transposed convolution strided
along the first and last dimensions only, with output padding, over 32 input channels."""
import torch
import torch.nn as nn

BATCH = 2
IN_CHANNELS = 5
D, H, W = 5, 7, 6


class Model(nn.Module):
    def __init__(self, in_channels):
        super().__init__()
        self.conv = nn.Conv3d(in_channels, 32, (2, 3, 3), stride=(1, 2, 1), padding=(1, 0, 1), dilation=(2, 1, 1))
        self.up = nn.ConvTranspose3d(32, 6, 3, stride=(2, 1, 2), padding=1, output_padding=(1, 0, 0))

    def forward(self, x):
        return self.up(self.conv(x))


def get_inputs():
    return [torch.randn(BATCH, IN_CHANNELS, D, H, W)]


def get_init_inputs():
    return [IN_CHANNELS]
