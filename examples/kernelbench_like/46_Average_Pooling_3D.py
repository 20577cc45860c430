import torch
import torch.nn as nn

class Model(nn.Module):
    """
    Average pooling over a volume with padding.
    """
    def __init__(self, kernel_size: int, stride: int = None, padding: int = 0):
        super(Model, self).__init__()
        self.pool = nn.AvgPool3d(kernel_size=kernel_size, stride=stride, padding=padding)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """
        Pools x over its trailing spatial dimensions.

        Args:
            x (torch.Tensor): Input of shape (batch, channels, *spatial).

        Returns:
            torch.Tensor: The pooled tensor.
        """
        return self.pool(x)

batch_size = 16
channels = 32
depth = 128
height = 128
width = 256
kernel_size = 3
stride = 2
padding = 1

def get_inputs():
    x = torch.rand(batch_size, channels, depth, height, width)
    return [x]

def get_init_inputs():
    return [kernel_size, stride, padding]
