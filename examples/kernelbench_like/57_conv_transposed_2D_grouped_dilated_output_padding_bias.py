import torch
import torch.nn as nn

class Model(nn.Module):
    """
    Transposed 2-D convolution with everything at once: groups, bias, a different stride,
    padding, output padding and dilation along each dimension.
    """
    def __init__(self, in_channels: int, out_channels: int, kernel_size: tuple, stride: tuple, padding: tuple, output_padding: tuple, dilation: tuple, groups: int):
        super(Model, self).__init__()
        self.conv_transpose2d = nn.ConvTranspose2d(in_channels, out_channels, kernel_size, stride=stride, padding=padding, output_padding=output_padding, groups=groups, bias=True, dilation=dilation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """
        Applies the transposed convolution to x (batch, in_channels, height, width).
        """
        return self.conv_transpose2d(x)

# Test code
batch_size = 8
in_channels = 32
out_channels = 48
kernel_size = (3, 4)
stride = (2, 3)
padding = (1, 2)
output_padding = (1, 2)
dilation = (1, 2)
groups = 2
height = 64
width = 96

def get_inputs():
    x = torch.rand(batch_size, in_channels, height, width)
    return [x]

def get_init_inputs():
    return [in_channels, out_channels, kernel_size, stride, padding, output_padding, dilation, groups]
