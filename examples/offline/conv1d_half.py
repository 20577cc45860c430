"""fp16 1-D convolution (dilated, with bias) followed by GELU: fp16 operands on the tensor cores,
fp32 accumulation and epilogue, fp16 result."""
import torch
import torch.nn as nn
import torch.nn.functional as F

BATCH = 3
IN_CHANNELS = 6
OUT_CHANNELS = 16
LENGTH = 29


class Model(nn.Module):
    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.conv = nn.Conv1d(in_channels, out_channels, 3, dilation=2, padding=1).half()

    def forward(self, x):
        return F.gelu(self.conv(x))


def get_inputs():
    return [torch.randn(BATCH, IN_CHANNELS, LENGTH, dtype=torch.float16)]


def get_init_inputs():
    return [IN_CHANNELS, OUT_CHANNELS]
