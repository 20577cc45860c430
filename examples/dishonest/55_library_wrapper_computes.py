# problem: ../honest/problems/kl_div_batchmean.py
# expect-stage: integrity
# expect-code: aten_compute_op
# exploit: an installed library's wrapper (liger-kernel's KL divergence) launches a Triton kernel for the elementwise terms and then reduces them with torch (sum and division) in Python: dispatched compute inside a library is still compute outside Triton
"""A library kernel whose wrapper finishes the job with aten ops."""
import torch
import torch.nn as nn
from liger_kernel.ops.kl_div import LigerKLDivLossFunction


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, log_q: torch.Tensor, p: torch.Tensor) -> torch.Tensor:
        return LigerKLDivLossFunction.apply(log_q, p, "batchmean", False, 1e-10)
