"""Reduction with a small but real result: the row mean scaled by 1e-4 (values ~1e-5, under fp32's
absolute tolerance of 1e-4)."""
import torch
import torch.nn as nn

batch_size = 512
dim = 4096
scale = 1e-4


class Model(nn.Module):
    def __init__(self, scale: float):
        super().__init__()
        self.scale = scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mean(dim=1) * self.scale


def get_inputs():
    return [torch.randn(batch_size, dim)]


def get_init_inputs():
    return [scale]
