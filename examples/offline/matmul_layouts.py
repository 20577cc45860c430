"""Matrix products in every operand layout: both operands transposed, a 4-D batch broadcast against
one matrix, a batched A^T B, a row vector times a matrix, a transposed matrix times a column, a
product three deep, and triu/tril of products large enough for whole tiles to be zeroed; sizes that
no tile divides."""
import torch
import torch.nn as nn

M = 19
K = 37
N = 23
B0 = 2
B1 = 3
S = 150


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, a, b, x, w, c, d, v, u, p, q, g, h):
        tt = torch.matmul(a.T, b.T)                 # A stored (K, M), B stored (N, K)
        batched = torch.matmul(x, w)                # (B0, B1, M, K) x (K, N)
        tn = torch.bmm(c.transpose(1, 2), d)        # A stored (B1, K, M)
        row = torch.matmul(v, w)                    # (1, K) x (K, N)
        col = torch.matmul(a.T, u)                  # (M, K) stored M-major, times (K, 1)
        shallow = torch.relu(torch.matmul(p, q))    # K = 3
        upper = torch.triu(torch.matmul(g, h), diagonal=1)
        lower = torch.tril(torch.matmul(g, h), diagonal=-2)
        return tt, batched, tn, row, col, shallow, upper, lower


def get_inputs():
    return [torch.randn(K, M), torch.randn(N, K), torch.randn(B0, B1, M, K), torch.randn(K, N),
            torch.randn(B1, K, M), torch.randn(B1, K, N), torch.randn(1, K), torch.randn(K, 1),
            torch.randn(M, 3), torch.randn(3, N), torch.randn(S, 20), torch.randn(20, S)]


def get_init_inputs():
    return []
