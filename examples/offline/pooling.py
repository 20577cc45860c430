"""Pooling variants: max with indices and ceil mode, average without padded elements in the
count, a divisor override, adaptive average and max pooling (global and to sizes that do not
divide the input), on odd sizes and a channels-last input."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.max1 = nn.MaxPool1d(3, stride=2, padding=1, return_indices=True)
        self.max2 = nn.MaxPool2d((3, 2), stride=(2, 1), padding=(1, 1), dilation=(1, 2), ceil_mode=True, return_indices=True)
        self.avg2 = nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)
        self.avg3 = nn.AvgPool3d(2, stride=1, padding=1, divisor_override=3)
        self.gap = nn.AdaptiveAvgPool2d((1, 1))
        self.ada = nn.AdaptiveAvgPool2d((4, 3))
        self.amax = nn.AdaptiveMaxPool2d((3, 4), return_indices=True)

    def forward(self, x, s, v, cl):
        v1, i1 = self.max1(s)
        v2, i2 = self.max2(x)
        v3, i3 = self.amax(x)
        return (v1, i1, v2, i2, self.avg2(cl), self.avg3(v), self.gap(x), self.ada(x), F.max_pool2d(x, 2), F.avg_pool1d(s, 4, 3),
                v3, i3, F.adaptive_max_pool1d(s, 5))


def get_inputs():
    return [torch.randn(2, 3, 11, 10), torch.randn(2, 5, 23), torch.randn(2, 2, 5, 6, 7),
            torch.randn(2, 3, 11, 10).to(memory_format=torch.channels_last)]


def get_init_inputs():
    return []
