import torch
import torch.nn as nn

class Model(nn.Module):
    """
    Grouped 3-D convolution with bias, a different stride and padding along each dimension.
    """
    def __init__(self, in_channels: int, out_channels: int, kernel_size: tuple, stride: tuple, padding: tuple, groups: int):
        super(Model, self).__init__()
        self.conv3d = nn.Conv3d(in_channels, out_channels, kernel_size, stride=stride, padding=padding, groups=groups, bias=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """
        Applies the grouped convolution to x (batch, in_channels, depth, height, width).
        """
        return self.conv3d(x)

# Test code
batch_size = 8
in_channels = 32
out_channels = 64
kernel_size = (3, 3, 5)
stride = (2, 1, 2)
padding = (1, 0, 2)
groups = 2
depth = 32
height = 64
width = 64

def get_inputs():
    x = torch.rand(batch_size, in_channels, depth, height, width)
    return [x]

def get_init_inputs():
    return [in_channels, out_channels, kernel_size, stride, padding, groups]
