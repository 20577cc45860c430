"""Composites written the way other code often writes them: var_mean and std_mean (two results
from one call, a keyword correction, several dims), logsumexp (its decomposition zeroes infinite
maxima with masked_fill), masked_fill on a comparison and with -inf before a softmax, and fliplr, flipud, rot90 (flips and a
transposed view), on odd sizes."""
import torch
import torch.nn as nn

ROWS, COLS = 9, 31


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x, y):
        v, m = torch.var_mean(x, dim=1, correction=0)
        s, m2 = torch.std_mean(y, dim=(0, 2), keepdim=True)
        lse = torch.logsumexp(x * 4.0, dim=1)
        filled = x.masked_fill(x < -0.5, 2.0)
        # a masked softmax: the fill value is -inf (the capture writes it as text)
        att = torch.softmax(x.masked_fill(x < -1.5, float("-inf")), dim=1)
        return v, m, s, m2, lse, filled, att, torch.fliplr(x), torch.flipud(x), torch.rot90(x, 1, (0, 1))


def get_inputs():
    return [torch.randn(ROWS, COLS), torch.randn(3, 5, 7)]


def get_init_inputs():
    return []
