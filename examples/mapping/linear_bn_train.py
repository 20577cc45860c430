import torch
import torch.nn as nn


class Model(nn.Module):
    """Linear then BatchNorm in training mode: the normalisation uses the batch's own statistics,
    so it cannot be folded into the linear layer's weight."""

    def __init__(self, in_features: int, out_features: int):
        super().__init__()
        self.fc = nn.Linear(in_features, out_features)
        self.bn = nn.BatchNorm1d(out_features)

    def forward(self, x):
        return torch.relu(self.bn(self.fc(x)))


batch_size = 8
in_features = 16
out_features = 8


def get_inputs():
    return [torch.randn(batch_size, in_features)]


def get_init_inputs():
    return [in_features, out_features]
