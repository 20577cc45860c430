import torch
import torch.nn as nn


class Model(nn.Module):
    """A model that sets its own mode and buffers in __init__: BatchNorm1d put in eval mode with
    running statistics drawn at construction, after a Linear it can be folded into."""

    def __init__(self, in_features: int, out_features: int):
        super().__init__()
        self.fc = nn.Linear(in_features, out_features)
        self.bn = nn.BatchNorm1d(out_features, eps=1e-3)
        with torch.no_grad():
            self.bn.running_mean.uniform_(-0.5, 0.5)
            self.bn.running_var.uniform_(0.5, 2.0)
            self.bn.weight.uniform_(0.5, 1.5)
            self.bn.bias.uniform_(-0.2, 0.2)
        self.bn.eval()

    def forward(self, x):
        return torch.tanh(self.bn(self.fc(x)))


batch_size = 4
in_features = 16
out_features = 8


def get_inputs():
    return [torch.randn(batch_size, in_features)]


def get_init_inputs():
    return [in_features, out_features]
