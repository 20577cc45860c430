"""Deep products with tiny outputs (K much larger than M and N): split along K, with a bias and an epilogue."""
import torch
import torch.nn as nn

M = 3
K = 20000
N = 2


class Model(nn.Module):
    def __init__(self, k, n):
        super().__init__()
        self.fc = nn.Linear(k, n)

    def forward(self, a, v):
        # a matrix-vector product and a linear layer, both K = 20000 deep
        return torch.matmul(a, v), torch.tanh(self.fc(a) * 0.01)


def get_inputs():
    return [torch.randn(M, K), torch.randn(K, 1)]


def get_init_inputs():
    return [K, N]
