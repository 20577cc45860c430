"""What the candidate process's guard costs the host per call, with a forward call observed (a
verification trial) and with a call timed: the calls a Triton launch makes on its tensors
(data_ptr, the launch hook's record) and the shape queries a forward makes. A timed call's host
time counts wherever the GPU waits for it, so it must not pay the observation's frame checks.

    python bench/guard_overhead.py

Runs on the CPU or a GPU host; installs the guard into its own process (it cannot be removed).
"""
from __future__ import annotations

import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))

from tritonize_harness.worker.guard import Guard  # noqa: E402
from tritonize_harness.worker.recorder import CallRecord, Recorder, install_launch_hook  # noqa: E402


def per_call_us(fn, n: int = 2000) -> float:
    fn()
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n * 1e6


def main() -> None:
    x = torch.randn(1024)
    y = torch.empty_like(x)
    recorder = Recorder()
    install_launch_hook(recorder)
    calls = {
        "x.data_ptr()": lambda: x.data_ptr(),
        "x.untyped_storage().data_ptr()": lambda: x.untyped_storage().data_ptr(),
        "shape, stride, numel, dim": lambda: (x.shape[0], x.stride(), x.numel(), x.dim()),
        "the launch hook's record (2 tensors)": lambda: recorder.on_launch("k", (x, y, 1024), {}),
    }
    rows = {name: [per_call_us(fn)] for name, fn in calls.items() if "hook" not in name}
    read_fd, write_fd = os.pipe()
    Guard(write_fd, "candidate", recorder).install()
    for observe in (True, False):
        recorder.current = CallRecord(observe_host=observe)
        for name, fn in calls.items():
            rows.setdefault(name, ["-"]).append(per_call_us(fn))
    recorder.current = None
    print(f"{'per call, microseconds':40} {'no guard':>10} {'observed':>10} {'timed':>10}")
    for name, figures in rows.items():
        print(f"{name:40} " + " ".join(f"{f:>10.1f}" if isinstance(f, float) else f"{f:>10}" for f in figures))


if __name__ == "__main__":
    main()
