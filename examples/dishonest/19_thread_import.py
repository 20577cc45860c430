# problem: 01_swish_bias.py
# expect-stage: static
# expect-code: forbidden_import
# exploit: imports threading and computes the result with torch ops on a worker thread, where a per-thread dispatch hook would not see them; the main thread only launches a Triton copy
"""Work moved to a thread; the main thread's only visible op is a Triton copy kernel."""
import threading

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
        result = {}

        def work():
            result["y"] = x * torch.sigmoid(x) + self.bias

        worker = threading.Thread(target=work)
        worker.start()
        worker.join()
        out = torch.empty_like(x)
        launch_copy(result["y"], out)
        return out
