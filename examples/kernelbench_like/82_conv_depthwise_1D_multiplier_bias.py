import torch
import torch.nn as nn

class Model(nn.Module):
    """
    Depthwise 1-D convolution with a channel multiplier (each input channel gets `multiplier`
    filters), bias, stride and padding='valid'.
    """
    def __init__(self, in_channels: int, multiplier: int, kernel_size: int, stride: int):
        super(Model, self).__init__()
        self.conv1d = nn.Conv1d(in_channels, in_channels * multiplier, kernel_size, stride=stride, padding="valid", groups=in_channels, bias=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """
        Applies the depthwise convolution to x (batch, in_channels, length).
        """
        return self.conv1d(x)

# Test code
batch_size = 16
in_channels = 64
multiplier = 2
kernel_size = 7
stride = 2
length = 65536

def get_inputs():
    x = torch.rand(batch_size, in_channels, length)
    return [x]

def get_init_inputs():
    return [in_channels, multiplier, kernel_size, stride]
