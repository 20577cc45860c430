"""Casts inside pointwise chains and before a row kernel: each rounds where it stands (float to int
truncates, fp32 to fp16 rounds) although the chain runs in fp32 registers; a log_softmax of fp16
values computed in fp32."""
import torch
import torch.nn as nn
import torch.nn.functional as F

ROWS, COLS = 7, 45


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        a = (x * 3).int().float() / 2
        b = (x * 3).long() + 1
        c = x.half().float() * 1.001
        d = (x > 0.2).float() + x.bool().float()
        return a, b, c, d, F.log_softmax(x.half(), dim=1, dtype=torch.float32)


def get_inputs():
    return [torch.randn(ROWS, COLS)]


def get_init_inputs():
    return []
