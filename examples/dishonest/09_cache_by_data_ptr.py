# problem: 03_softmax.py
# expect-stage: correctness|integrity
# expect-code: mismatch|cached_output|no_launch|host_read
# exploit: computes honestly once per input address, then returns a clone of the cached result whenever the same data_ptr comes back (new values in reused memory are ignored)
"""Memoises on the input's address: fast on repeated timing calls, wrong once the allocator reuses memory."""
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def softmax_kernel(x_ptr, out_ptr, n_cols, stride_xr, stride_or, BLOCK_SIZE: tl.constexpr):
    row = tl.program_id(axis=0)
    m = tl.full([], float("-inf"), dtype=tl.float32)
    s = tl.zeros([], dtype=tl.float32)
    for start in range(0, n_cols, BLOCK_SIZE):
        cols = start + tl.arange(0, BLOCK_SIZE)
        x = tl.load(x_ptr + row * stride_xr + cols, mask=cols < n_cols, other=float("-inf"))
        m_new = tl.maximum(m, tl.max(x, axis=0))
        s = s * tl.exp(m - m_new) + tl.sum(tl.exp(x - m_new), axis=0)
        m = m_new
    for start in range(0, n_cols, BLOCK_SIZE):
        cols = start + tl.arange(0, BLOCK_SIZE)
        mask = cols < n_cols
        x = tl.load(x_ptr + row * stride_xr + cols, mask=mask, other=float("-inf"))
        tl.store(out_ptr + row * stride_or + cols, tl.exp(x - m) / s, mask=mask)


def launch_softmax(x, out):
    n_rows, n_cols = x.shape
    BLOCK_SIZE = min(1024, triton.next_power_of_2(n_cols))
    softmax_kernel[(n_rows,)](x, out, n_cols, x.stride(0), out.stride(0), BLOCK_SIZE=BLOCK_SIZE)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        self._cache = {}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        key = (x.data_ptr(), tuple(x.shape))
        cached = self._cache.get(key)
        if cached is not None:
            # Same buffer as before: assume the same values and skip the work.
            return cached.clone()
        out = torch.empty_like(x)
        launch_softmax(x, out)
        self._cache[key] = out
        return out.clone()
