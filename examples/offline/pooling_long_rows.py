"""Pooling over long last dimensions (a program takes a block of one output row): 1-D max with
dilation and padding, 1-D average, 2-D max with padding, 2-D max with indices, 3-D average with
stride, and a channels-last input whose rows are not contiguous."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.max1 = nn.MaxPool1d(8, stride=1, padding=4, dilation=3)
        self.avg1 = nn.AvgPool1d(8, stride=1, padding=4)
        self.max2 = nn.MaxPool2d(4, stride=1, padding=1)
        self.maxi = nn.MaxPool2d(3, stride=2, padding=1, return_indices=True)
        self.avg3 = nn.AvgPool3d(3, stride=2, padding=1)

    def forward(self, s, x, v, cl):
        mv, mi = self.maxi(x)
        return self.max1(s), self.avg1(s), self.max2(x), mv, mi, self.avg3(v), self.max2(cl)


def get_inputs():
    s = torch.randn(2, 3, 300)
    s[0, 1, 17] = float("nan")
    return [s, torch.randn(2, 2, 9, 140), torch.randn(1, 2, 5, 6, 150),
            torch.randn(2, 3, 7, 130).to(memory_format=torch.channels_last)]


def get_init_inputs():
    return []
