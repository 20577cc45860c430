"""LayerNorm over the hidden dimension of a (batch, seq, hidden) tensor, with elementwise affine."""
import torch
import torch.nn as nn

batch_size = 8
seq_len = 1024
hidden = 2048


class Model(nn.Module):
    def __init__(self, hidden: int):
        super().__init__()
        self.norm = nn.LayerNorm(hidden)
        # Non-trivial affine parameters, so a kernel that ignores them is caught.
        with torch.no_grad():
            self.norm.weight.uniform_(0.5, 1.5)
            self.norm.bias.uniform_(-0.5, 0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(x)


def get_inputs():
    # A non-zero mean per row makes a one-pass E[x^2] - E[x]^2 variance lose precision.
    return [torch.randn(batch_size, seq_len, hidden) * 2.0 + 3.0]


def get_init_inputs():
    return [hidden]
