import torch
import torch.nn as nn


class Model(nn.Module):
    """A shared trunk with two heads: class scores and a value, returned together."""

    def __init__(self, in_features: int, hidden: int, classes: int):
        super().__init__()
        self.trunk = nn.Linear(in_features, hidden)
        self.policy = nn.Linear(hidden, classes)
        self.value = nn.Linear(hidden, 1)

    def forward(self, x):
        h = torch.relu(self.trunk(x))
        scores = torch.softmax(self.policy(h), dim=-1)
        value = torch.tanh(self.value(h))
        return scores, value


batch_size = 8
in_features = 24
hidden = 48
classes = 10


def get_inputs():
    return [torch.randn(batch_size, in_features)]


def get_init_inputs():
    return [in_features, hidden, classes]
