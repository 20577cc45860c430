import torch
import torch.nn as nn


class Model(nn.Module):
    """A gate computed without autograd picks the activation per call: a `with` block in forward,
    which the deterministic fuser does not cut (the model-driven fuser rewrites it)."""

    def __init__(self, in_features: int, out_features: int):
        super().__init__()
        self.fc = nn.Linear(in_features, out_features)
        self.out = nn.Linear(out_features, out_features)

    def forward(self, x):
        h = self.fc(x)
        with torch.no_grad():
            # the gate is a statistic of the batch, not part of the graph
            gate = h.mean() > 0
        if gate:
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
