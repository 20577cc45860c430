"""Why one call of a module times differently under `tritonize bench` and under do_bench: the same
candidate, eager and torch.compile, each timed four ways in one process on a GPU host.

    python bench/timing_gap.py --problem P.py --candidate model_new.py [--set NAME=VALUE]... [--no-compile]

- `do_bench`: triton.testing.do_bench's median (calls queued back to back, L2 flushed between);
  the GPU's time when the host keeps ahead of it.
- `harness`: tritonize_harness.timing.time_cuda, the protocol `tritonize bench` uses (each call
  alone: synchronised before, a device-wide synchronize inside the timed region).
- `events`: KernelBench's protocol (start event, the call, end event, then synchronize).
- `host`: the call's own host time (perf_counter around the call, no synchronize inside; the
  mean over calls after a synchronize each), i.e. what Python, the launches and the allocations
  cost before the GPU has its work.

A candidate whose `harness` figure exceeds `do_bench` by more than eager's does is paying host time
the GPU waits for (its `host` column says how much there is).
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "python"))


def load_candidate(path: str):
    spec = importlib.util.spec_from_file_location("timing_gap_candidate", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def events_ms(fn, inputs, iters: int = 50) -> float:
    times = []
    for _ in range(iters):
        torch.cuda.synchronize()
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn(*inputs)
        end.record()
        torch.cuda.synchronize()
        times.append(start.elapsed_time(end))
    return statistics.median(times)


def host_ms(fn, inputs, iters: int = 50) -> float:
    times = []
    for _ in range(iters):
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        fn(*inputs)
        times.append((time.perf_counter() - t0) * 1e3)
    torch.cuda.synchronize()
    return statistics.median(times)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--problem", required=True)
    ap.add_argument("--candidate", required=True)
    ap.add_argument("--set", action="append", default=[], help="NAME=VALUE: a module constant of the problem")
    ap.add_argument("--no-compile", action="store_true")
    args = ap.parse_args()
    from triton.testing import do_bench
    from tritonize_harness.problem import load_problem
    from tritonize_harness.timing import time_cuda

    sets = dict(s.split("=", 1) for s in args.set)
    prob = load_problem(args.problem, sets, module_name="timing_gap_problem")
    init = prob.get_init_inputs()
    torch.manual_seed(0)
    ref = prob.Model(*init).cuda()
    torch.manual_seed(0)
    new = load_candidate(args.candidate).ModelNew(*init).cuda()
    inputs = [x.cuda() if isinstance(x, torch.Tensor) else x for x in prob.get_inputs()]
    subjects = [("candidate", new), ("eager", ref)]
    if not args.no_compile:
        subjects.append(("torch.compile", torch.compile(ref)))
    print(f"{'':<14} {'do_bench':>9} {'harness':>9} {'events':>9} {'host':>9}   (ms, medians)")
    with torch.no_grad():
        for label, fn in subjects:
            for _ in range(3):
                fn(*inputs)
            torch.cuda.synchronize()
            d = do_bench(lambda: fn(*inputs), warmup=25, rep=100)
            h = time_cuda(fn, inputs, 10, 50)["median"]
            e = events_ms(fn, inputs)
            c = host_ms(fn, inputs)
            print(f"{label:<14} {d:>9.4f} {h:>9.4f} {e:>9.4f} {c:>9.4f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
