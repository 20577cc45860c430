"""Vector norms of orders without a template of their own: 3 and 1.5 over dims, 0 (the non-zero
count) and -inf (the smallest magnitude), as capture writes them: powers, sums, counts, minima."""
import torch
import torch.nn as nn

N = 6
D = 33


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return (
            torch.norm(x, p=3, dim=1),
            torch.linalg.vector_norm(x, 1.5, dim=(0, 1), keepdim=True),
            torch.linalg.vector_norm(torch.relu(x), 0),
            torch.linalg.vector_norm(x, float("-inf"), dim=-1),
        )


def get_inputs():
    return [torch.randn(N, D, 5)]


def get_init_inputs():
    return []
