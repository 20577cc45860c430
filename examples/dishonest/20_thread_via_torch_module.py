# problem: 01_swish_bias.py
# expect-stage: static|integrity
# expect-code: forbidden_attribute|forbidden_operation|aten_compute_op
# exploit: reaches the threading module through torch.utils.data.dataloader.threading (no import statement) and computes with torch on a worker thread; the main thread launches only a Triton copy
"""The same thread trick as 19, with the threading module reached through an attribute path."""
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

        worker = torch.utils.data.dataloader.threading.Thread(target=work)
        worker.start()
        worker.join()
        out = torch.empty_like(x)
        launch_copy(result["y"], out)
        return out
