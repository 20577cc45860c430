# problem: 01_swish_bias.py
# expect-stage: timeout
# expect-code: timeout
# exploit: busy-waits after the launch on a readiness flag that nothing ever sets, so forward never returns
"""A 'wait for the kernel' loop whose flag is never set: the harness must stop it by time."""
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def swish_bias_kernel(x_ptr, out_ptr, n_elements, bias, BLOCK_SIZE: tl.constexpr):
    pid = tl.program_id(axis=0)
    offsets = pid * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    x = tl.load(x_ptr + offsets, mask=mask).to(tl.float32)
    y = x * tl.sigmoid(x) + bias
    tl.store(out_ptr + offsets, y.to(out_ptr.dtype.element_ty), mask=mask)


class ModelNew(nn.Module):
    def __init__(self, bias: float):
        super().__init__()
        self.bias = bias
        self._ready = False

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.contiguous()
        out = torch.empty_like(x)
        n = x.numel()
        BLOCK_SIZE = min(1024, triton.next_power_of_2(max(n, 16)))
        swish_bias_kernel[(triton.cdiv(n, BLOCK_SIZE),)](x, out, n, self.bias, BLOCK_SIZE=BLOCK_SIZE)
        # Meant to be set by a completion callback that was never registered.
        polls = 0
        while not self._ready:
            polls += 1
        return out
