import torch
import torch.nn as nn
import torch.nn.functional as F


class ResidualBlock(nn.Module):
    """Two linear layers with a skip connection around them."""

    def __init__(self, width: int, hidden: int):
        super().__init__()
        self.fc1 = nn.Linear(width, hidden)
        self.fc2 = nn.Linear(hidden, width)

    def forward(self, x):
        return x + self.fc2(F.relu(self.fc1(x)))


class Model(nn.Module):
    """A residual MLP: an input projection, two residual blocks and a head."""

    def __init__(self, in_features: int, width: int, hidden: int, out_features: int):
        super().__init__()
        self.proj = nn.Linear(in_features, width)
        self.block1 = ResidualBlock(width, hidden)
        self.block2 = ResidualBlock(width, hidden)
        self.head = nn.Linear(width, out_features)

    def forward(self, x):
        x = F.relu(self.proj(x))
        # the residual stack
        x = self.block1(x)
        x = self.block2(x)
        return self.head(x)


batch_size = 8
in_features = 32
width = 64
hidden = 128
out_features = 16


def get_inputs():
    return [torch.randn(batch_size, in_features)]


def get_init_inputs():
    return [in_features, width, hidden, out_features]
