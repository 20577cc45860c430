"""Level-2 style chain on a transposed 3-D convolution (stride 2, output padding, groups):
hardswish, a learned per-channel scale, then adding the model's second input (a residual of the
output's shape, transposed in memory) and a sigmoid, all in the convolution's epilogue."""
import torch
import torch.nn as nn
import torch.nn.functional as F

BATCH = 2
IN_CHANNELS = 4
OUT_CHANNELS = 6
D, H, W = 3, 4, 5


class Model(nn.Module):
    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.deconv = nn.ConvTranspose3d(in_channels, out_channels, (3, 2, 3), stride=2, padding=(1, 0, 1),
                                         output_padding=(1, 0, 1), groups=2)
        self.scale = nn.Parameter(torch.rand(out_channels, 1, 1, 1) + 0.5)

    def forward(self, x, r):
        return torch.sigmoid(F.hardswish(self.deconv(x)) * self.scale + r.transpose(3, 4))


def get_inputs():
    out = (BATCH, OUT_CHANNELS, 2 * D, 2 * H + 0, 2 * W)
    return [torch.randn(BATCH, IN_CHANNELS, D, H, W), torch.randn(out[0], out[1], out[2], out[4], out[3])]


def get_init_inputs():
    return [IN_CHANNELS, OUT_CHANNELS]
