"""Pointwise scale by 1e-9: every output is far below the fp32 absolute tolerance (1e-4).

A kernel that writes zeros passes a plain allclose check here; the verifier must notice that the
reference is degenerate at this tolerance and compare relative error instead.
"""
import torch
import torch.nn as nn

batch_size = 4096
dim = 4096
scale = 1e-9


class Model(nn.Module):
    def __init__(self, scale: float):
        super().__init__()
        self.scale = scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.scale


def get_inputs():
    return [torch.randn(batch_size, dim)]


def get_init_inputs():
    return [scale]
