"""fp16 and bf16: a matmul with a ReLU epilogue (fp16) and a softmax (bf16), fp32 accumulation."""
import torch
import torch.nn as nn

M = 40
K = 48
N = 24


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, a, b, x):
        return torch.relu(a @ b), torch.softmax(x, dim=-1)


def get_inputs():
    return [torch.randn(M, K, dtype=torch.float16), torch.randn(K, N, dtype=torch.float16),
            torch.randn(9, 77, dtype=torch.bfloat16)]


def get_init_inputs():
    return []
