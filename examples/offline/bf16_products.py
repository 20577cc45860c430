"""bfloat16 matrix products: a product with a transposed operand and a Linear with bias, fp32
accumulation (under Triton's CPU interpreter these need the worker's bfloat16 dot fill)."""
import torch
import torch.nn as nn

M, K, N = 20, 32, 18


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(K, 24).to(torch.bfloat16)

    def forward(self, a, b):
        return a @ b.T, self.fc(a)


def get_inputs():
    return [torch.randn(M, K, dtype=torch.bfloat16), torch.randn(N, K, dtype=torch.bfloat16)]


def get_init_inputs():
    return []
