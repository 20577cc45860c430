"""Where a verification's time goes (the verdict's phases), and the order in which it works: the
candidate's process starts and loads its candidate while the reference is made, yet never receives
a reference output, and no process runs two candidates."""
import base64
import io
import math
import pickle

import torch

from conftest import fixture
from tritonize_harness.pool import WorkerPool
from tritonize_harness.references import References
from tritonize_harness.sandbox import WorkerProcess
from tritonize_harness.verify import Services, VerifyOptions, verify
from conftest import process_gone

SETS = {"n": "300"}


def _options(candidate: str, **kw) -> VerifyOptions:
    return VerifyOptions(problem=fixture("scale.py"), candidate=candidate, device="cpu", sets=SETS, **kw)


class _Spy:
    """A candidate's process seen from the supervisor's side: what it was sent, and when."""

    def __init__(self, real: WorkerProcess, services: "_Watching") -> None:
        object.__setattr__(self, "real", real)
        object.__setattr__(self, "services", services)

    def __getattr__(self, name):
        return getattr(self.real, name)

    def __setattr__(self, name, value):
        setattr(self.real, name, value)

    def _log(self, msg: dict) -> None:
        entry = {"cmd": msg["cmd"], "referencesComputed": self.services.references.computed}
        if msg["cmd"] == "call":
            entry["outputs"] = [t.clone() for t in _peek(msg["outputs"])]
        self.services.log.append(entry)

    def send(self, msg: dict) -> None:
        self._log(msg)
        self.real.send(msg)

    def request(self, msg: dict, during: str) -> dict:
        self._log(msg)
        return self.real.request(msg, during)


class _Watching(Services):
    def __init__(self) -> None:
        super().__init__()
        self.log: list[dict] = []

    def worker(self, device: str, workdir: str):
        self.log.append({"cmd": "(started)", "referencesComputed": self.references.computed})
        return _Spy(super().worker(device, workdir), self)


class _Peeker(pickle.Unpickler):
    """Opens shared tensors without unlinking their files, so the real process still finds them."""

    def find_class(self, module, name):
        if name == "_open_shared":
            return lambda desc: desc.open()
        return super().find_class(module, name)


def _peek(text: str) -> list:
    return _Peeker(io.BytesIO(base64.b64decode(text))).load()


def test_the_candidate_loads_while_the_reference_is_made_and_never_receives_it():
    services = _Watching()
    doc = verify(_options(fixture("scale_triton.py"), trials=2), services)
    assert doc["ok"], doc["message"]
    cmds = [e["cmd"] for e in services.log]
    assert cmds == ["(started)", "load", "call", "call"], cmds
    # Started, then sent its candidate, before any reference output existed ...
    assert services.log[0]["referencesComputed"] == 0 and services.log[1]["referencesComputed"] == 0
    # ... and what it is given to write its outputs into holds NaN, never the reference's values.
    for entry in services.log[2:]:
        assert entry["referencesComputed"] >= 1
        assert all(torch.isnan(t).all() for t in entry["outputs"])


def test_the_verdict_says_where_the_time_went():
    doc = verify(_options(fixture("scale_triton.py"), trials=2))
    assert doc["ok"], doc["message"]
    phases = doc["phases"]
    sup, worker, trials = phases["supervisor"], phases["worker"], phases["trials"]
    for name in ("problemLoad", "footprint", "candidateLoad", "workerWait", "teardown"):
        assert name in sup, (name, sup)
    for name in ("torchImport", "tritonImport", "profilerInit", "load"):
        assert name in worker, (name, worker)
    assert len(trials) == 2 and phases["referenceCacheHits"] == 0
    for t in trials:
        for name in ("inputs", "reference", "transfer", "candidateWait", "firstCall", "compare", "workerCopyIn"):
            assert name in t, (name, t)
        assert "exact" not in t  # the float64 look runs only when a comparison misses
    assert trials[0]["laterCalls"] > 0 and trials[1]["laterCalls"] == 0  # trial 0 calls three times
    values = [*sup.values(), *worker.values(), *(v for t in trials for v in t.values())]
    assert all(isinstance(v, float | int) and v >= 0 and math.isfinite(v) for v in values)
    # The supervisor's steps follow one another: together no longer than the verification.
    own = sum(sup.values()) + sum(v for t in trials for k, v in t.items()
                                  if not k.startswith("worker") and k not in ("firstCall", "laterCalls"))
    assert own <= doc["durationMs"] / 1000 + 0.05, (own, doc["durationMs"])
    assert doc["memory"] is None and doc["peakBytes"] is None  # no GPU: nothing to measure


HOSTILE = open(fixture("scale_triton.py")).read().replace(
    "    def forward(self, x):\n",
    "    def forward(self, x):\n        import os\n        open(f'/proc/{os.getppid()}/environ', 'rb').read()\n")


def test_a_process_that_ran_a_hostile_candidate_is_never_handed_out_again(write):
    pool = WorkerPool(size=1)
    services = Services(references=References(1 << 20), pool=pool)
    try:
        hostile = verify(_options(write("hostile.py", HOSTILE), trials=1, static_check=False), services)
        assert hostile["stage"] == "integrity" and hostile["code"] == "forbidden_operation", hostile["message"]
        honest = verify(_options(fixture("scale_triton.py"), trials=1), services)
        assert honest["ok"], honest["message"]
        first, second = pool.taken
        assert first != second and process_gone(first)
        # The honest candidate's trial came from the cache the hostile one's verification filled.
        assert honest["phases"]["referenceCacheHits"] == 1 and services.references.computed == 1
    finally:
        pool.close()


def test_a_process_started_early_is_closed_when_no_candidate_runs(tmp_path, write):
    early = WorkerProcess(str(tmp_path), "cpu")
    refused = write("refused.py", "import socket\n" + open(fixture("scale_triton.py")).read())
    doc = verify(_options(refused, trials=1), Services(prestarted=early))
    assert doc["stage"] == "static" and doc["code"] == "forbidden_import", doc["message"]
    assert process_gone(early.pid)  # refused before a process was needed: the one started early is closed
