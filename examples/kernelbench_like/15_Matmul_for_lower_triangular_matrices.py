import torch
import torch.nn as nn


class Model(nn.Module):
    """
    Simple model that performs matrix multiplication (C = A * B) for lower triangular matrices.
    """
    def __init__(self):
        super(Model, self).__init__()

    def forward(self, A, B) -> torch.Tensor:
        """
        Performs matrix multiplication for lower triangular matrices.

        Args:
            A (torch.Tensor): Lower triangular matrix of shape (N, N).
            B (torch.Tensor): Lower triangular matrix of shape (N, N).

        Returns:
            torch.Tensor: The product of A and B, also an lower triangular matrix of shape (N, N).
        """
        return torch.tril(torch.matmul(A, B))

N = 4096

def get_inputs():
    """
    Generates lower triangular matrices for testing.

    Returns:
        list: A list containing two lower triangular matrices of shape (N, N).
    """
    A = torch.tril(torch.randn(N, N))
    B = torch.tril(torch.randn(N, N))
    return [A, B]

def get_init_inputs():
    return []  # No special initialization inputs needed
