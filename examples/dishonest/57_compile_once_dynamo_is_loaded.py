# problem: 05_linear_relu.py
# expect-stage: integrity
# expect-code: forbidden_operation
# exploit: lets a library-style torch.compiler.disable load dynamo (allowed: torch imports it on the library's behalf), then reaches torch.compile by a name the static reading cannot see, hoping the compiler is loaded too
"""Dynamo loaded the permitted way, then inductor asked to compile the linear layer."""
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def relu_kernel(x_ptr, out_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    pid = tl.program_id(axis=0)
    offsets = pid * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    x = tl.load(x_ptr + offsets, mask=mask)
    tl.store(out_ptr + offsets, tl.maximum(x, 0.0), mask=mask)


def _relu(y: torch.Tensor) -> torch.Tensor:
    out = torch.empty_like(y)
    n = y.numel()
    BLOCK_SIZE = min(1024, triton.next_power_of_2(max(n, 16)))
    relu_kernel[(triton.cdiv(n, BLOCK_SIZE),)](y, out, n, BLOCK_SIZE=BLOCK_SIZE)
    return out


class ModelNew(nn.Module):
    def __init__(self, in_features: int, out_features: int):
        super().__init__()
        self.linear = nn.Linear(in_features, out_features)
        self._compiled = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self._compiled is None:
            torch.compiler.disable(_relu)  # dynamo is now in sys.modules
            self._compiled = getattr(torch, "com" + "pile")(self.linear)
        return _relu(self._compiled(x))
