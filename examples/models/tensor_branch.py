import torch
import torch.nn as nn


class Model(nn.Module):
    """A layer whose activation depends on the data: the branch is taken per call, on a tensor."""

    def __init__(self, in_features: int, out_features: int):
        super().__init__()
        self.fc = nn.Linear(in_features, out_features)
        self.out = nn.Linear(out_features, out_features)

    def forward(self, x):
        h = self.fc(x)
        if h.mean() > 0:
            # mostly positive: keep it linear above zero
            h = torch.relu(h)
        else:
            h = torch.tanh(h) * 2.0
        return self.out(h)


batch_size = 4
in_features = 16
out_features = 32


def get_inputs():
    return [torch.randn(batch_size, in_features)]


def get_init_inputs():
    return [in_features, out_features]
