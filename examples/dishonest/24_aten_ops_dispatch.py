# problem: 05_linear_relu.py
# expect-stage: static|integrity
# expect-code: forbidden_attribute|aten_compute_op
# exploit: calls torch.ops.aten.addmm directly (bypassing torch.matmul / F.linear by name) and applies ReLU in Triton
"""The matmul through the raw operator namespace, in case only the public names are screened."""
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


class ModelNew(nn.Module):
    def __init__(self, in_features: int, out_features: int):
        super().__init__()
        self.linear = nn.Linear(in_features, out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.ops.aten.addmm.default(self.linear.bias, x, self.linear.weight.t())
        out = torch.empty_like(y)
        n = y.numel()
        BLOCK_SIZE = min(1024, triton.next_power_of_2(max(n, 16)))
        relu_kernel[(triton.cdiv(n, BLOCK_SIZE),)](y, out, n, BLOCK_SIZE=BLOCK_SIZE)
        return out
