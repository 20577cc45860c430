# problem: 01_swish_bias.py
# expect-stage: static|integrity
# expect-code: forbidden_import|forbidden_attribute|host_read
# exploit: imports numpy and computes the op with np.exp on the host; the Triton kernel only copies the result into the output
"""Numpy on the host with an explicit import."""
import numpy as np
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def copy_kernel(src_ptr, dst_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    pid = tl.program_id(axis=0)
    offsets = pid * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    tl.store(dst_ptr + offsets, tl.load(src_ptr + offsets, mask=mask), mask=mask)


def launch_copy(src, dst):
    n = src.numel()
    BLOCK_SIZE = min(1024, triton.next_power_of_2(max(n, 16)))
    copy_kernel[(triton.cdiv(n, BLOCK_SIZE),)](src, dst, n, BLOCK_SIZE=BLOCK_SIZE)


class ModelNew(nn.Module):
    def __init__(self, bias: float):
        super().__init__()
        self.bias = bias

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = x.detach().cpu().numpy()
        y = (a / (1.0 + np.exp(-a)) + self.bias).astype(np.float32)
        y_dev = torch.from_numpy(y).to(x.device)
        out = torch.empty_like(x)
        launch_copy(y_dev, out)
        return out
