import torch
import torch.nn as nn

class Model(nn.Module):
    """
    The first convolution of an AlexNet-style network: 3 -> 96 channels, 11x11 kernel, stride 4, padding 2, with bias.
    """
    def __init__(self, num_classes=1000):
        super(Model, self).__init__()
        self.conv1 = nn.Conv2d(in_channels=3, out_channels=96, kernel_size=11, stride=4, padding=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """
        Applies the convolution to x (batch, channels, spatial dims...).
        """
        return self.conv1(x)

# Test code
batch_size = 256
num_classes = 1000
image_size = 224

def get_inputs():
    x = torch.rand(batch_size, 3, image_size, image_size)
    return [x]

def get_init_inputs():
    return [num_classes]
