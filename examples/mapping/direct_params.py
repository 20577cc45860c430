import torch
import torch.nn as nn


class Model(nn.Module):
    """Direct parameters: each kernel weight is a registered parameter, read as it is."""

    def __init__(self, in_features: int, out_features: int):
        super().__init__()
        self.fc = nn.Linear(in_features, out_features)
        self.gain = nn.Parameter(torch.rand(out_features) + 0.5)

    def forward(self, x):
        return torch.relu(self.fc(x)) * self.gain


batch_size = 4
in_features = 16
out_features = 8


def get_inputs():
    return [torch.randn(batch_size, in_features)]


def get_init_inputs():
    return [in_features, out_features]
