"""Reductions (sum, mean, max, min, prod, argmax, argmin, var, std, vector norm) over one or several
dimensions, with and without keepdim, on a non-contiguous input."""
import torch
import torch.nn as nn

A = 5
B = 33
C = 17


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return (
            torch.sum(x, dim=1, keepdim=True),
            torch.mean(x, dim=(0, 2)),
            torch.amax(x, dim=-1),
            torch.min(x, dim=1)[0],
            torch.prod(x * 0.1 + 1.0, dim=2),
            torch.argmax(x, dim=1),
            torch.argmin(x, dim=2, keepdim=True),
            x.sum(),
            torch.var(x, dim=1),
            torch.std(x, dim=(0, 2), keepdim=True, unbiased=False),
            torch.norm(x, p=2, dim=-1),
        )


def get_inputs():
    return [torch.randn(A, C, B).transpose(1, 2)]  # shape (A, B, C), strided


def get_init_inputs():
    return []
