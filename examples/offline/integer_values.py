"""Integer and boolean tensors through the element moves, pooling and masks: a constant pad and a
fill of int64 ids past 2^24 (exact only if never passed through fp32), max pooling of int64 values
with indices, boolean masks combined with ~, &, | and ^ before a masked cumulative sum, and
cumulative sums and products of integers (int64 throughout: sums past 2^24 stay exact)."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.pool = nn.MaxPool2d(3, stride=2, padding=1, return_indices=True)

    def forward(self, ids, big, x, m1, m2, counts):
        padded = F.pad(ids, (1, 3), value=-7)
        filled = torch.full_like(ids, 2**40 + 3)
        pooled, where = self.pool(big)
        masks = (x * (~m1 & m2).float()).cumsum(1) + (x * (m1 | m2).float()).cumsum(1) + (x * (m1 ^ m2).float())
        return padded, filled, pooled, where, masks, ids.cumsum(1), counts.cumprod(0), (counts * 3).cumsum(1), m1.cumsum(1)


def get_inputs():
    ids = torch.randint(2**30, 2**40, (4, 9), dtype=torch.int64)
    big = torch.randint(-(2**40), 2**40, (2, 3, 7, 8), dtype=torch.int64)
    counts = torch.randint(-3, 4, (3, 11), dtype=torch.int32)
    return [ids, big, torch.randn(3, 11), torch.rand(3, 11) > 0.5, torch.rand(3, 11) > 0.3, counts]


def get_init_inputs():
    return []
