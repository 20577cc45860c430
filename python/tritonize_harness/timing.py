"""Timing one callable on CUDA, the same way for the candidate, eager PyTorch and torch.compile.

Per iteration: fresh copies of the inputs (outside the timed region), an L2 flush, then a start
event, the call, a device-wide synchronize (so work on any stream, side streams included, is
inside the measurement), and an end event. Median and mean over the iterations, after warm-up.
"""
from __future__ import annotations

import statistics
from typing import Any, Callable

import torch

L2_FLUSH_BYTES = 256 * 1024 * 1024  # larger than any current GPU's L2 (H200: 50 MB)


def time_cuda(fn: Callable[..., Any], inputs: list[Any], warmup: int, iters: int) -> dict[str, float]:
    flush = torch.empty(L2_FLUSH_BYTES // 4, dtype=torch.float32, device="cuda")

    def fresh() -> list[Any]:
        return [x.clone() if isinstance(x, torch.Tensor) else x for x in inputs]

    with torch.no_grad():
        for _ in range(warmup):
            fn(*fresh())
        torch.cuda.synchronize()
        times = []
        for _ in range(iters):
            args = fresh()
            flush.zero_()
            start = torch.cuda.Event(enable_timing=True)
            end = torch.cuda.Event(enable_timing=True)
            torch.cuda.synchronize()
            start.record()
            fn(*args)
            torch.cuda.synchronize()
            end.record()
            end.synchronize()
            times.append(start.elapsed_time(end))
    return {"median": statistics.median(times), "mean": statistics.fmean(times)}
