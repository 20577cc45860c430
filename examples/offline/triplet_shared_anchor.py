"""Reductions of different inputs over the same rows that share one input: a triplet margin loss
(the distances to the positive and to the negative both read the anchor), and a sum and a maximum
of two products of one tensor with two others, returned as they are."""
import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self, margin=1.0):
        super().__init__()
        self.loss_fn = nn.TripletMarginLoss(margin=margin)

    def forward(self, anchor, positive, negative, w):
        loss = self.loss_fn(anchor, positive, negative)
        return loss, (anchor * w).sum(dim=1), (anchor - 2 * positive).amax(dim=1)


def get_inputs():
    return [torch.randn(6, 37), torch.randn(6, 37), torch.randn(6, 37), torch.randn(37)]


def get_init_inputs():
    return [1.0]
