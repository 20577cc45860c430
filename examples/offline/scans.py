"""Scans: cumsum along a non-contiguous dimension (the kept dimension is the contiguous one),
a reversed cumprod, a cumsum of a transposed input, a float64 cumsum of a float32 input, an
exclusive scan along dim 0, standalone flip and pad (constant, reflect, replicate), cats of
copied parts, an integer count (cumsum of a comparison), logcumsumexp, and cummax/cummin on values with ties."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x, y, z):
        a = torch.cumsum(x, dim=0)
        b = torch.cumprod(y.flip(-1) * 0.5 + 0.75, dim=-1).flip(-1)
        c = torch.cumsum(x.t(), dim=1)
        d = torch.cumsum(x, dim=1, dtype=torch.float64)
        e = torch.cat([torch.zeros_like(y[:1]), torch.cumsum(y[:-1], dim=0)], dim=0)
        f = x.flip(0, 1)
        g = F.pad(y, (2, 1, 0, 3), value=-1.5)
        h = F.pad(y.unsqueeze(0), (2, 3), mode="reflect")
        i = F.pad(y.unsqueeze(0), (1, 2), mode="replicate")
        j = torch.cat([x, x.t()[:20].t() * 2.0], dim=1)
        k = torch.cat([y[:2], torch.flip(y, [1])[4:]], dim=0)
        m = (y > 0.5).cumsum(dim=1)
        n = torch.logcumsumexp(x * 3.0, dim=0)
        o = torch.logcumsumexp(torch.cat([y] * 8, dim=1), dim=1)
        q = torch.cummax(z, dim=1)
        r = torch.cummin(z - y[:, :1], dim=0)
        return a, b, c, d, e, f, g, h, i, j, k, m, n, o, q.values, q.indices, r.values, r.indices


def get_inputs():
    # z: small integers, so that cummax/cummin meet ties (rows longer than one block)
    return [torch.randn(37, 45), torch.rand(9, 300), torch.randint(0, 40, (9, 2100)).float()]


def get_init_inputs():
    return []
