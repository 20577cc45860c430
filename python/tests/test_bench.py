"""bench: timing on CUDA; without a GPU it says plainly that timing needs one."""
import argparse

import pytest
import torch

from conftest import fixture
from tritonize_harness import bench
from tritonize_harness.exit_codes import exit_for

gpu = pytest.mark.skipif(not torch.cuda.is_available(), reason="timing needs a CUDA GPU")


def args(candidate: str, **kw) -> argparse.Namespace:
    base = dict(problem=fixture("scale.py"), candidate=candidate, device="auto", sets=["n=100000"], trials=20,
                warmup=3, no_compile=False, timeout=300.0, seed=42)
    base.update(kw)
    return argparse.Namespace(**base)


def test_without_a_gpu_bench_says_so():
    doc = bench.run(args(fixture("scale_triton.py"), device="cpu"))
    assert (doc["ok"], doc["code"]) == (False, "no_gpu")
    assert "needs a CUDA GPU" in doc["message"]
    assert exit_for(doc) == 8


@gpu
def test_honest_candidate_is_timed_against_eager_and_compile():
    doc = bench.run(args(fixture("scale_triton.py")))
    assert doc["ok"], doc["message"]
    t = doc["timings"]
    assert t["candidate"]["median"] > 0 and t["eager"]["median"] > 0
    assert t["compiled"] is not None or t["compileError"]
    assert len(doc["trials"]) == 4  # two before timing, two re-checks after (as timed, and poisoned)
    assert {"timeCandidate", "timeEager", "timeCompiled"} <= set(doc["phases"]["supervisor"])
    print(bench.summary(doc))


@gpu
def test_a_candidate_that_does_less_when_timed_is_rejected():
    doc = bench.run(args(fixture("scale_lazy_when_timed.py")))
    assert not doc["ok"]
    assert (doc["stage"], doc["code"]) == ("integrity", "timing_mismatch")


@gpu
def test_a_candidate_that_tells_timing_apart_by_the_poison_is_rejected():
    doc = bench.run(args(fixture("scale_short_when_unpoisoned.py")))
    assert not doc["ok"]
    assert doc["stage"] == "correctness", doc["message"]


def test_timing_conditions_are_entered_and_left_whole():
    """The candidate is timed with deterministic mode (and its fresh-memory poison) off, and the
    mode is back on afterwards, even when the timed code raised."""
    from tritonize_harness.worker.main import _unpoisoned

    torch._C._set_deterministic_algorithms(True, warn_only=True)
    try:
        with pytest.raises(RuntimeError):
            with _unpoisoned():
                assert not torch.are_deterministic_algorithms_enabled()
                raise RuntimeError("the candidate failed while timed")
        assert torch.are_deterministic_algorithms_enabled()
        assert torch.is_deterministic_algorithms_warn_only_enabled()
    finally:
        torch.use_deterministic_algorithms(False)


GUARDED_CALLS = r'''
import json, os, sys
import torch
from tritonize_harness.worker.guard import Guard
from tritonize_harness.worker.recorder import CallRecord, Recorder, install_launch_hook
recorder = Recorder()
install_launch_hook(recorder)
Guard(os.pipe()[1], "candidate", recorder).install()
x = torch.randn(8)
out = {}
for observe in (True, False):
    rec = recorder.current = CallRecord(observe_host=observe)
    x.data_ptr()  # this file is the candidate's code: an address of host memory it took
    recorder.on_launch("k", (x,), {})
    recorder.current = None
    out[str(observe)] = {"reads": len(rec.host_reads), "launches": rec.launches, "touched": len(rec.touched)}
print(json.dumps(out))
'''


def test_a_timed_call_counts_launches_without_the_host_routes_bookkeeping(tmp_path):
    """Observed, a forward call's host routes are recorded (frame checks: tens of microseconds a
    call, in every launch's data_ptr); timed, only its launches are counted, so the timing is the
    candidate's own host time (bench/guard_overhead.py prints both)."""
    import json
    import os
    import subprocess
    import sys

    script = tmp_path / "guarded_calls.py"
    script.write_text(GUARDED_CALLS)
    env = {**os.environ, "PYTHONPATH": os.path.dirname(os.path.dirname(os.path.abspath(__file__)))}
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["True"] == {"reads": 1, "launches": 1, "touched": 1}
    assert out["False"] == {"reads": 0, "launches": 1, "touched": 0}
