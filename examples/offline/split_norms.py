"""Norms over few long rows, split across programs: BatchNorm2d (training and eval) over 3 channels,
GroupNorm with one group and RMSNorm over whole samples; InstanceNorm's rows are longer than one
block. The inputs sit far from zero, where E[x^2] - E[x]^2 would lose the variance."""
import torch
import torch.nn as nn

BATCH = 2
CHANNELS = 3
H = 96
W = 96


class Model(nn.Module):
    def __init__(self, channels, sample):
        super().__init__()
        self.bn = nn.BatchNorm2d(channels)
        self.bn_eval = nn.BatchNorm2d(channels)
        self.bn_eval.eval()
        self.gn = nn.GroupNorm(1, channels)
        self.inorm = nn.InstanceNorm2d(channels)
        self.rms = nn.RMSNorm(sample)

    def forward(self, x):
        flat = x.reshape(x.shape[0], -1)
        return self.bn(x), self.bn_eval(x), self.gn(x), self.inorm(x), self.rms(flat)


def get_inputs():
    return [torch.randn(BATCH, CHANNELS, H, W) * 3 + 100]


def get_init_inputs():
    return [CHANNELS, CHANNELS * H * W]
