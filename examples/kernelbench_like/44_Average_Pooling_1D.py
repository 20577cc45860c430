import torch
import torch.nn as nn

class Model(nn.Module):
    """
    Average pooling over a sequence (padded elements count as zeros).
    """
    def __init__(self, kernel_size: int, stride: int = 1, padding: int = 0):
        super(Model, self).__init__()
        self.pool = nn.AvgPool1d(kernel_size=kernel_size, stride=stride, padding=padding)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """
        Pools x over its trailing spatial dimensions.

        Args:
            x (torch.Tensor): Input of shape (batch, channels, *spatial).

        Returns:
            torch.Tensor: The pooled tensor.
        """
        return self.pool(x)

batch_size = 64
in_channels = 128
input_length = 65536
kernel_size = 8
stride = 1
padding = 4

def get_inputs():
    x = torch.rand(batch_size, in_channels, input_length)
    return [x]

def get_init_inputs():
    return [kernel_size, stride, padding]
