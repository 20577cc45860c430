"""Composite operators written as what they compute at capture: chunk and split (slices), GLU,
PReLU with per-channel weights, RReLU outside training, binary cross-entropy with logits and a
positive-class weight, the Poisson NLL loss and the cosine embedding loss; and addmm with a 1-D
bias (nn.Linear's form)."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.prelu = nn.PReLU(6)
        self.glu = nn.GLU(dim=-1)
        self.register_buffer("pos_weight", torch.rand(30) + 0.5)
        self.w = nn.Parameter(torch.randn(30, 7))
        self.bias = nn.Parameter(torch.randn(7))

    def forward(self, x, y, target, counts, label):
        a, b = x.chunk(2, dim=-1)
        c, d, e = torch.split(x, [5, 10, 15], dim=2)
        gated = a * torch.sigmoid(b) + self.glu(x)
        acts = self.prelu(x) + F.rrelu(x, 0.1, 0.3, training=False)
        bce = F.binary_cross_entropy_with_logits(x, target, pos_weight=self.pos_weight)
        poisson = F.poisson_nll_loss(x, counts)
        cosine = F.cosine_embedding_loss(x[:, 0], y, label, margin=0.2)
        affine = torch.addmm(self.bias, y, self.w, beta=0.5)
        return gated, c.sum(-1), d * 2, e.relu(), acts, bce, poisson, cosine, affine


def get_inputs():
    x = torch.randn(4, 6, 30)
    return [x, torch.randn(4, 30), torch.rand(4, 6, 30), torch.poisson(torch.rand(4, 6, 30) * 3),
            torch.randint(0, 2, (4,)).float() * 2 - 1]


def get_init_inputs():
    return []
