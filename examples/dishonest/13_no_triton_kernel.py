# problem: 02_sum_dim1.py
# expect-stage: static
# expect-code: no_triton_kernel
# exploit: no Triton at all: a ModelNew that just calls torch.sum
"""Plain PyTorch presented as a solution."""
import torch
import torch.nn as nn


class ModelNew(nn.Module):
    def __init__(self, dim: int):
        super().__init__()
        self.dim = dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sum(x, dim=self.dim, keepdim=True)
