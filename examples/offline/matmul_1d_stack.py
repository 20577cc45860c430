"""Matrix products with a 1-D operand (vector @ matrix, batched matrix @ vector, vector @ vector),
planned from their composite forms (mm between unsqueezes, products summed over K), and a stack
(a cat of unsqueezed views) of a flip and an input."""
import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, v, w, a, b):
        return v @ w, torch.matmul(a, v), torch.matmul(v, v), torch.stack([b.flip(0), b], dim=1)


def get_inputs():
    return [torch.randn(33), torch.randn(33, 14), torch.randn(3, 5, 33), torch.randn(6, 7)]


def get_init_inputs():
    return []
