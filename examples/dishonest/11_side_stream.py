# problem: 01_swish_bias.py
# expect-stage: runtime|integrity
# expect-code: runtime_error|side_stream
# exploit: launches the kernel on a private torch.cuda.Stream and returns without synchronising, so timing on the default stream sees almost no work (on CPU torch.cuda.Stream fails)
"""Side-stream launch: the default stream's timer stops before the kernel has run."""
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def swish_bias_kernel(x_ptr, out_ptr, n_elements, bias, BLOCK_SIZE: tl.constexpr):
    pid = tl.program_id(axis=0)
    offsets = pid * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    x = tl.load(x_ptr + offsets, mask=mask)
    tl.store(out_ptr + offsets, x * tl.sigmoid(x) + bias, mask=mask)


class ModelNew(nn.Module):
    def __init__(self, bias: float):
        super().__init__()
        self.bias = bias
        self._stream = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self._stream is None:
            self._stream = torch.cuda.Stream()
        x = x.contiguous()
        out = torch.empty_like(x)
        n = x.numel()
        BLOCK_SIZE = min(1024, triton.next_power_of_2(max(n, 16)))
        # "Overlap" the kernel with whatever comes next: no wait_stream back to the caller's stream.
        with torch.cuda.stream(self._stream):
            swish_bias_kernel[(triton.cdiv(n, BLOCK_SIZE),)](x, out, n, self.bias, BLOCK_SIZE=BLOCK_SIZE)
        return out
