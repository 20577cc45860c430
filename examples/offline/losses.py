"""Cross-entropy and NLL: class weights, ignore_index (including ignored targets), label
smoothing, the three reductions, probability targets, spatial (N, C, d) inputs, NLL on a
log-softmax (one kernel) and on log-probabilities given as an input."""
import torch
import torch.nn as nn
import torch.nn.functional as F

N = 13
C = 7


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("w", torch.rand(C) + 0.5)

    def forward(self, x, t, p, xs, ts, lp):
        return (
            F.cross_entropy(x, t),
            F.cross_entropy(x, t, weight=self.w, ignore_index=2, label_smoothing=0.1),
            F.cross_entropy(x, t, reduction="none", label_smoothing=0.2),
            F.cross_entropy(x, t, weight=self.w, reduction="sum"),
            F.cross_entropy(x, p.softmax(dim=1), label_smoothing=0.05),
            F.cross_entropy(xs, ts, ignore_index=0),
            F.nll_loss(F.log_softmax(x, dim=1), t, weight=self.w),
            F.nll_loss(lp, t, reduction="none", ignore_index=1),
            F.nll_loss(lp, t, weight=self.w, reduction="sum"),
        )


def get_inputs():
    return [torch.randn(N, C) * 3, torch.randint(0, C, (N,)), torch.randn(N, C), torch.randn(3, C, 5), torch.randint(0, C, (3, 5)),
            torch.randn(N, C).log_softmax(dim=1)]


def get_init_inputs():
    return []
