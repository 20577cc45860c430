# problem: 05_linear_relu.py
# expect-stage: integrity
# expect-code: aten_compute_op
# exploit: computes x @ W^T with the @ operator (no torch.* call in sight); a Triton kernel adds the bias and applies ReLU
"""The @ operator dispatches aten::mm just like torch.matmul; only the epilogue is a Triton kernel."""
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def bias_relu_kernel(y_ptr, b_ptr, out_ptr, M, N, BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr):
    pid_m = tl.program_id(axis=0)
    pid_n = tl.program_id(axis=1)
    rows = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
    cols = pid_n * BLOCK_N + tl.arange(0, BLOCK_N)
    mask = (rows[:, None] < M) & (cols[None, :] < N)
    y = tl.load(y_ptr + rows[:, None] * N + cols[None, :], mask=mask, other=0.0)
    b = tl.load(b_ptr + cols, mask=cols < N, other=0.0)
    tl.store(out_ptr + rows[:, None] * N + cols[None, :], tl.maximum(y + b[None, :], 0.0), mask=mask)


class ModelNew(nn.Module):
    def __init__(self, in_features: int, out_features: int):
        super().__init__()
        self.linear = nn.Linear(in_features, out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = x @ self.linear.weight.t()
        M, N = y.shape
        out = torch.empty_like(y)
        BLOCK_M = min(64, triton.next_power_of_2(M))
        BLOCK_N = min(64, triton.next_power_of_2(N))
        grid = (triton.cdiv(M, BLOCK_M), triton.cdiv(N, BLOCK_N))
        bias_relu_kernel[grid](y, self.linear.bias, out, M, N, BLOCK_M=BLOCK_M, BLOCK_N=BLOCK_N)
        return out
