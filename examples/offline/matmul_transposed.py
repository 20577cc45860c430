"""Matrix products with transposed operands: A.T @ B, and a batched product with B transposed."""
import torch
import torch.nn as nn

M = 21
K = 35
N = 18
BATCH = 3


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, a, b, c, d):
        return torch.matmul(a.T, b), torch.bmm(c, d.transpose(1, 2))


def get_inputs():
    return [torch.randn(K, M), torch.randn(K, N), torch.randn(BATCH, M, K), torch.randn(BATCH, N, K)]


def get_init_inputs():
    return []
