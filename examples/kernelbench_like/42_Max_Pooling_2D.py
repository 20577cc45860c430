import torch
import torch.nn as nn

class Model(nn.Module):
    """
    Max pooling over the height and width of an image batch.
    """
    def __init__(self, kernel_size: int, stride: int, padding: int, dilation: int):
        super(Model, self).__init__()
        self.pool = nn.MaxPool2d(kernel_size=kernel_size, stride=stride, padding=padding, dilation=dilation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """
        Pools x over its trailing spatial dimensions.

        Args:
            x (torch.Tensor): Input of shape (batch, channels, *spatial).

        Returns:
            torch.Tensor: The pooled tensor.
        """
        return self.pool(x)

batch_size = 32
channels = 64
height = 512
width = 512
kernel_size = 4
stride = 1
padding = 1
dilation = 1

def get_inputs():
    x = torch.rand(batch_size, channels, height, width)
    return [x]

def get_init_inputs():
    return [kernel_size, stride, padding, dilation]
