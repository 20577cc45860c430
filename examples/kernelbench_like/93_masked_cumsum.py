import torch
import torch.nn as nn

class Model(nn.Module):
    """
    Running sum of the elements a boolean mask selects.

    Parameters:
        dim (int): The dimension scanned.
    """
    def __init__(self, dim):
        super(Model, self).__init__()
        self.dim = dim

    def forward(self, x, mask):
        """
        Returns a tensor of the same shape as x (mask: a boolean tensor like x).
        """
        return torch.cumsum(x * mask, dim=self.dim)

batch_size = 32768
input_shape = (32768,)
dim = 1

def get_inputs():
    x = torch.rand(batch_size, *input_shape)
    mask = torch.randint(0, 2, x.shape).bool()
    return [x, mask]

def get_init_inputs():
    return [dim]
