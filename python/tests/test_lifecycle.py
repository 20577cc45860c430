"""The candidate's process ends by itself, and the machine's limits are reported as such."""
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time

import pytest
import torch

from conftest import fixture
from tritonize_harness.failure import Failure
from tritonize_harness.ledger import Ledger
from tritonize_harness.sandbox import WorkerProcess
from tritonize_harness.transfer import Outbox, unpack
from tritonize_harness.verify import VerifyOptions, verify
from conftest import process_gone

HARNESS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _load_spinner(worker: WorkerProcess, cpu_seconds: float) -> Outbox:
    """Loads the spinning candidate and starts a call that never replies."""
    box = Outbox(worker.workdir)
    reply = worker.request({"cmd": "load", "candidate": fixture("spin_forward.py"), "init": box.pack([2.0]),
                            "seed": 0, "cpuSeconds": cpu_seconds}, during="loading")
    assert reply["ok"], reply
    x = box.share(torch.randn(8))
    out = box.buffer((8,), torch.float32, "cpu")
    os.write(worker._cmd_w, (__import__("json").dumps(
        {"cmd": "call", "inputs": box.pack([x]), "outputs": box.pack([out]), "calls": 1, "trial": 0}) + "\n").encode())
    return box


def test_the_candidate_process_dies_with_its_supervisor(tmp_path):
    script = textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {os.path.join(HARNESS, 'tests')!r})
        from test_lifecycle import _load_spinner
        from tritonize_harness.sandbox import WorkerProcess
        w = WorkerProcess({str(tmp_path)!r}, "cpu", time.monotonic() + 600)
        _load_spinner(w, 600)
        print(w.pid, flush=True)
        time.sleep(600)
    """)
    sup = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
                           env={**os.environ, "PYTHONPATH": HARNESS})
    pid = int(sup.stdout.readline())
    time.sleep(0.5)  # the candidate is spinning now
    assert not process_gone(pid, 0.1)
    sup.kill()
    sup.wait()
    try:
        assert process_gone(pid, 10), "the candidate's process outlived its supervisor"
    finally:
        for name in os.listdir("/dev/shm") if os.path.isdir("/dev/shm") else []:
            if name.startswith(f"tritonize-{sup.pid}-"):  # the killed supervisor's last message
                os.unlink(os.path.join("/dev/shm", name))


def test_the_cpu_time_limit_ends_a_spinner_nobody_watches(tmp_path, monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    worker = WorkerProcess(str(tmp_path), "cpu")  # no wall-clock deadline on this side
    worker.timeout_s = 2
    try:
        worker.deadline = time.monotonic() + 120
        box = _load_spinner(worker, 2)
        started = time.monotonic()
        with pytest.raises(Failure) as caught:
            worker._read_reply("trial 0")
        assert caught.value.code == "timeout"
        assert worker.proc.returncode == -signal.SIGXCPU
        assert time.monotonic() - started < 60
        box.close()
    finally:
        worker.close()


def test_a_verification_larger_than_the_memory_budget_is_a_resource_condition():
    doc = verify(VerifyOptions(problem=fixture("scale.py"), candidate=fixture("scale_triton.py"), device="cpu",
                               trials=1, sets={"n": "300"}, memory_budget=1000))
    assert doc["stage"] == "resources" and doc["code"] == "insufficient_memory", doc["message"]
    assert "not the candidate's fault" in doc["message"]
    assert doc["footprintBytes"] == 2 * 600 * 4
    assert doc["trials"] == []


def test_the_ledger_makes_a_verification_wait_and_forgets_dead_holders(tmp_path):
    ledger = Ledger("gpu-test", budget=100, directory=str(tmp_path))
    first = ledger.reserve(80, time.monotonic() + 1)
    with pytest.raises(Failure) as caught:
        ledger.reserve(50, time.monotonic() + 0.3, poll_s=0.05)
    assert caught.value.stage == "resources" and caught.value.code == "admission_timeout"
    ledger.release(first)
    second = ledger.reserve(50, time.monotonic() + 1)
    dead = subprocess.Popen(["true"])
    dead.wait()
    import json
    with open(ledger.path) as fh:
        state = json.load(fh)
    state["holders"]["gone"] = {"pid": dead.pid, "bytes": 50}
    with open(ledger.path, "w") as fh:
        json.dump(state, fh)
    assert ledger.held() == 50  # the dead process's share is dropped
    ledger.release(second)
    assert ledger.held() == 0


def test_cpu_tensors_travel_through_shared_memory_not_copies_on_disk(tmp_path):
    box = Outbox(str(tmp_path))
    x = torch.arange(6, dtype=torch.float32).reshape(2, 3)
    out = box.buffer((2, 3), torch.float32, "cpu")
    assert torch.isnan(out).all()  # unwritten memory shows
    got_x, got_out = unpack(box.pack([box.share(x), out]))
    assert torch.equal(got_x, x)
    got_out.copy_(x * 2)  # what the candidate's side writes, the supervisor reads
    assert torch.equal(out, x * 2)
    paths = list(box.paths)
    assert all(p.startswith("/dev/shm/") for p in paths) or not os.path.isdir("/dev/shm")
    box.close()
    assert not any(os.path.exists(p) for p in paths)


def test_an_interrupt_in_the_teardown_still_removes_the_work_folder(tmp_path, monkeypatch):
    """SIGTERM reaches a verification as KeyboardInterrupt wherever it runs: its work folder goes
    even when that is while a process is being closed."""
    from tritonize_harness.verify import Services

    class Interrupted(Services):
        def worker(self, device, workdir):
            raise KeyboardInterrupt

    class Closing:
        def close(self):
            raise KeyboardInterrupt

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    opts = VerifyOptions(problem=fixture("scale.py"), candidate=fixture("spin_forward.py"), device="cpu", trials=1)
    with pytest.raises(KeyboardInterrupt):
        verify(opts, Interrupted(prestarted=Closing()))
    assert [p for p in os.listdir(tmp_path) if p.startswith("tritonize-verify-")] == []


def test_an_interrupt_inside_the_removal_of_the_work_folder_still_removes_it(tmp_path, monkeypatch):
    """The interrupt that follows a killed candidate can land inside the folder's removal itself:
    the removal finishes, then the interrupt goes on."""
    import shutil

    from tritonize_harness import verify as verify_module

    real, calls = shutil.rmtree, []

    def interrupted_once(path, ignore_errors=False):
        calls.append(path)
        if len(calls) == 1:
            raise KeyboardInterrupt
        real(path, ignore_errors=ignore_errors)

    monkeypatch.setattr(verify_module.shutil, "rmtree", interrupted_once)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    opts = VerifyOptions(problem=fixture("scale.py"), candidate=fixture("missing.py"), device="cpu", trials=1)
    with pytest.raises(KeyboardInterrupt):
        verify(opts)
    assert len(calls) == 2
    assert [p for p in os.listdir(tmp_path) if p.startswith("tritonize-verify-")] == []
