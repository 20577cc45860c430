"""Integer and boolean tensors through the element moves, pooling and masks: a constant pad and a
fill of int64 ids past 2^24 (exact only if never passed through fp32), max pooling of int64 values
with indices, and boolean masks combined with ~, &, | and ^ before a masked cumulative sum."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.pool = nn.MaxPool2d(3, stride=2, padding=1, return_indices=True)

    def forward(self, ids, big, x, m1, m2):
        padded = F.pad(ids, (1, 3), value=-7)
        filled = torch.full_like(ids, 2**40 + 3)
        pooled, where = self.pool(big)
        masks = (x * (~m1 & m2).float()).cumsum(1) + (x * (m1 | m2).float()).cumsum(1) + (x * (m1 ^ m2).float())
        return padded, filled, pooled, where, masks


def get_inputs():
    ids = torch.randint(2**30, 2**40, (4, 9), dtype=torch.int64)
    big = torch.randint(-(2**40), 2**40, (2, 3, 7, 8), dtype=torch.int64)
    return [ids, big, torch.randn(3, 11), torch.rand(3, 11) > 0.5, torch.rand(3, 11) > 0.3]


def get_init_inputs():
    return []
