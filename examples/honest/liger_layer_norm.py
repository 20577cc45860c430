# problem: 04_layernorm.py
# expect: accepted
"""LayerNorm through liger-kernel's Triton kernel; the parameters are made exactly as the problem makes them."""
import torch
import torch.nn as nn
from liger_kernel.ops.layer_norm import LigerLayerNormFunction


class ModelNew(nn.Module):
    def __init__(self, hidden: int):
        super().__init__()
        self.norm = nn.LayerNorm(hidden)
        with torch.no_grad():
            self.norm.weight.uniform_(0.5, 1.5)
            self.norm.bias.uniform_(-0.5, 0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return LigerLayerNormFunction.apply(x, self.norm.weight, self.norm.bias, self.norm.eps)
