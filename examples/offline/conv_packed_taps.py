"""Convolutions over few channels whose every tap is packed into the reduction (the K-major loop's
packed form): 3 channels under a 3x3x1 kernel in fp16, with its epilogue, and 2 channels under a
padded 5x5 kernel in bf16, whose bounds are checked per element."""
import torch
import torch.nn as nn

N = 2


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.c = nn.Conv3d(3, 16, (3, 3, 1), bias=True).half()
        self.d = nn.Conv2d(2, 8, 5, padding=2).to(torch.bfloat16)

    def forward(self, x, y):
        return self.c(x) * 2, self.d(y)


def get_inputs():
    return [torch.randn(N, 3, 6, 7, 4).half(), torch.randn(N, 2, 9, 9).to(torch.bfloat16)]


def get_init_inputs():
    return []
