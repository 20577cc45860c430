"""Reduction whose exact result is zero: the mean of each row after normalising that row.

Eager's float32 result is rounding noise (~1e-8); any honest kernel's is different noise."""
import torch
import torch.nn as nn

batch_size = 512
dim = 8192
eps = 1e-5


class Model(nn.Module):
    def __init__(self, eps: float):
        super().__init__()
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mean = x.mean(dim=1, keepdim=True)
        var = x.var(dim=1, keepdim=True, unbiased=False)
        return ((x - mean) / torch.sqrt(var + self.eps)).mean(dim=1)


def get_inputs():
    return [torch.randn(batch_size, dim) * 3.0 + 1.0]


def get_init_inputs():
    return [eps]
