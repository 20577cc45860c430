import torch
import torch.nn as nn

class Model(nn.Module):
    """
    Running product along one dimension.

    Parameters:
        dim (int): The dimension scanned.
    """
    def __init__(self, dim):
        super(Model, self).__init__()
        self.dim = dim

    def forward(self, x):
        """
        Returns a tensor of the same shape as x.
        """
        return torch.cumprod(x, dim=self.dim)

batch_size = 32768
input_shape = (32768,)
dim = 1

def get_inputs():
    x = torch.rand(batch_size, *input_shape)
    return [x]

def get_init_inputs():
    return [dim]
