import torch
import torch.nn as nn

class Model(nn.Module):
    """
    2-D convolution with bias and padding='same': an even kernel height, so PyTorch pads one
    more row after the input than before it, and a dilated width.
    """
    def __init__(self, in_channels: int, out_channels: int, kernel_size: tuple, dilation: tuple = (1, 1)):
        super(Model, self).__init__()
        self.conv2d = nn.Conv2d(in_channels, out_channels, kernel_size, padding="same", dilation=dilation, bias=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """
        Applies the convolution; the output has the input's height and width.
        """
        return self.conv2d(x)

# Test code
batch_size = 8
in_channels = 32
out_channels = 64
kernel_size = (4, 5)
dilation = (1, 2)
height = 256
width = 256

def get_inputs():
    x = torch.rand(batch_size, in_channels, height, width)
    return [x]

def get_init_inputs():
    return [in_channels, out_channels, kernel_size, dilation]
