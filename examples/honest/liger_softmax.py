# problem: 03_softmax.py
# expect: accepted
"""Softmax from an installed Triton library: liger-kernel's kernels are launches like any other."""
import torch
import torch.nn as nn
from liger_kernel.ops.softmax import LigerSoftmaxFunction


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return LigerSoftmaxFunction.apply(x)
