"""What a verification holds beside the problem's own memory: the reference runs on the trial's
inputs (no copy) unless it writes into them, the admission estimate needs no meta-device run, and
the reference cache's holdings are recorded in the ledger."""
import subprocess
import sys

import torch

from conftest import HERE, fixture
from tritonize_harness.ledger import Ledger
from tritonize_harness.references import References, estimate_footprint
from tritonize_harness.verify import VerifyOptions, verify

WRITER = '''
import torch
import torch.nn as nn

class Model(nn.Module):
    def forward(self, x):
        x.mul_(2)  # writes into its own input
        return x + 1

def get_inputs():
    return [torch.randn(64)]

def get_init_inputs():
    return []
'''


def test_a_reference_that_writes_its_inputs_gets_fresh_ones_and_runs_on_copies_after(write):
    path = write("writer.py", WRITER)
    refs = References()
    ref = refs.reference(path, {}, "cpu", 42)
    m = refs.material(ref, 7)
    torch.manual_seed(7)
    fresh = ref.problem.get_inputs()[0]
    assert ref.writes_inputs
    assert torch.equal(m.inputs[0], fresh), "the trial's inputs are the problem's, not the written ones"
    assert torch.equal(m.expected[0], fresh * 2 + 1)
    again = refs.material(ref, 8)  # on copies now: the inputs stay as made
    torch.manual_seed(8)
    assert torch.equal(again.inputs[0], ref.problem.get_inputs()[0])


def test_a_reference_that_only_reads_runs_on_the_inputs_themselves():
    refs = References()
    ref = refs.reference(fixture("scale.py"), {"n": "300"}, "cpu", 42)
    m = refs.material(ref, 7)
    assert not ref.writes_inputs
    assert torch.equal(m.expected[0], torch.relu(m.inputs[0]) * 2.0)


def test_the_admission_estimate_is_twice_the_inputs_and_trial_0_gives_the_real_footprint():
    refs = References()
    ref = refs.reference(fixture("scale.py"), {"n": "300"}, "cpu", 42)
    assert estimate_footprint(ref, 7) == 2 * 600 * 4
    doc = verify(VerifyOptions(problem=fixture("scale.py"), candidate=fixture("scale_triton.py"), device="cpu",
                               trials=1, sets={"n": "300"}))
    assert doc["ok"], doc["message"]
    assert doc["footprintBytes"] == 2 * 600 * 4


def test_neither_side_of_a_verification_imports_dynamo():
    """Each of these used to: a meta-device run of the model, torch.profiler's wrapper,
    torch.use_deterministic_algorithms and a dispatch mode's first op import torch._dynamo (and
    sympy with it), seconds of every cold process on a GPU host."""
    script = f'''
import sys
sys.path.insert(0, {repr(HERE + "/..")})
import torch
from tritonize_harness.references import References, estimate_footprint
from tritonize_harness.worker.main import prepare_process
from tritonize_harness.worker.recorder import Recorder, RecordingMode
refs = References()
ref = refs.reference({fixture("scale.py")!r}, {{"n": "300"}}, "cpu", 42)
estimate_footprint(ref, 7)
refs.material(ref, 7)
print("torch._dynamo" in sys.modules)
prepare_process("cpu", {{}})
with RecordingMode(Recorder()):
    torch.ones(3).add_(1)
print("torch._dynamo" in sys.modules)
'''
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "False"], out.stdout


def test_the_cache_records_what_it_holds_in_the_ledger(tmp_path):
    ledger = Ledger("cpu-test", budget=1 << 20, directory=str(tmp_path))
    refs = References(cache_bytes=1 << 20)
    ref = refs.reference(fixture("scale.py"), {"n": "300"}, "cpu", 42)
    refs.material(ref, 7)
    refs.material(ref, 8)
    refs.account(ledger, "cpu")
    assert ledger.held() == 2 * (2 * 600 * 4)
    refs.drop(ref, 7)
    refs.account(ledger, "cpu")
    assert ledger.held() == 2 * 600 * 4


def test_the_peak_adds_each_process_at_the_steps_where_it_peaks():
    """The candidate's process peaks during its call, while the supervisor holds the trial's
    material; the supervisor's reference and comparison peaks come while that process only keeps
    its input copies and model."""
    from types import SimpleNamespace

    from tritonize_harness.verify import Services, _account_memory

    GiB = 1 << 30
    verdict = SimpleNamespace(peak=None, memory=None, footprint=2 * GiB)
    ref = SimpleNamespace(device="cuda", param_bytes=0)
    trial = SimpleNamespace(cached_bytes=0, worker_peak=2 * GiB, worker_held=GiB, buffer_bytes=0, largest_output=0)
    watch = SimpleNamespace(active=True, peak=6 * GiB,
                            steps={"reference": 6 * GiB, "candidate": 2 * GiB, "compare": 2 * GiB, "fingerprint": 2 * GiB})
    _account_memory(verdict, ref, Services(), trial, watch, built_now=True)
    assert verdict.peak == 7 * GiB  # the reference's 6 with the 1 kept between calls, not 6 + 2
    assert verdict.memory["supervisorPeakBytes"] == 6 * GiB and verdict.memory["workerHeldBytes"] == GiB
    watch.steps["candidate"] = 6 * GiB
    _account_memory(verdict, ref, Services(), trial, watch, built_now=True)
    assert verdict.peak == 8 * GiB  # now both at the candidate's call


def test_material_the_cache_drops_meanwhile_neither_hides_nor_swells_a_step(monkeypatch):
    """The cache held 10 GiB of other problems when the verification began; after this trial's
    2 GiB are made it drops 8 of them to keep them: both steps read this verification's 2 GiB."""
    from tritonize_harness.phases import MemoryWatch

    GiB = 1 << 30
    alloc = {"now": 10 * GiB, "peak": 10 * GiB}
    monkeypatch.setattr(torch.cuda, "synchronize", lambda: None)
    monkeypatch.setattr(torch.cuda, "memory_allocated", lambda: alloc["now"])
    monkeypatch.setattr(torch.cuda, "max_memory_allocated", lambda: alloc["peak"])
    monkeypatch.setattr(torch.cuda, "reset_peak_memory_stats", lambda: alloc.update(peak=alloc["now"]))
    watch = MemoryWatch("cuda", True)
    alloc.update(now=12 * GiB, peak=12 * GiB)  # this trial's material
    watch.freeing(lambda: alloc.update(now=4 * GiB))  # the cache makes room
    watch.mark("reference")
    watch.mark("candidate")
    assert watch.steps == {"reference": 2 * GiB, "candidate": 2 * GiB}


def test_out_of_memory_beside_others_gives_way_then_waits_for_the_whole_need(tmp_path, monkeypatch):
    """Several verifications that collide must not keep colliding: the one that ran out of memory
    drops its cached material and is admitted again only when its measured need fits."""
    import threading

    from tritonize_harness import verify as verify_mod
    from tritonize_harness.verify import Services

    monkeypatch.setenv("TRITONIZE_LEDGER_DIR", str(tmp_path))
    budget = 1 << 20
    ledger = Ledger("cpu", budget, directory=str(tmp_path))
    other = ledger.try_reserve(1000)  # another verification's share (this process is alive: it stays)
    refs = References(cache_bytes=1 << 20)
    real_run, failed = verify_mod._Trials.run, []
    released, granted = threading.Event(), []
    real_reserve = Ledger.reserve

    def release_other():
        ledger.release(other)
        released.set()

    def reserve(self, need, deadline, poll_s=0.2):
        token = real_reserve(self, need, deadline, poll_s=0.05)
        granted.append(released.is_set())
        return token

    monkeypatch.setattr(Ledger, "reserve", reserve)

    def run(self, t, *args, **kwargs):
        if not failed:
            failed.append(refs.held)
            ledger.resize(other, budget - 1000)  # the other one grew: the whole need no longer fits
            threading.Timer(0.5, release_other).start()
            raise torch.OutOfMemoryError("CUDA out of memory (simulated)")
        return real_run(self, t, *args, **kwargs)

    monkeypatch.setattr(verify_mod._Trials, "run", run)
    said = []
    doc = verify(VerifyOptions(problem=fixture("scale.py"), candidate=fixture("scale_triton.py"), device="cpu",
                               trials=2, sets={"n": "300"}, memory_budget=budget),
                 Services(references=refs, progress=said.append))
    assert doc["ok"], doc["message"]
    assert failed == [2 * 600 * 4]  # trial 0's material was cached when the memory ran out
    assert any("waiting for memory" in s for s in said), said
    assert refs.computed == 3  # trial 0's cached material was dropped and made again, then trial 1's
    assert granted == [False, True]  # the retry was admitted only once the other share was released
    assert ledger.held() == refs.held  # nothing reserved is left behind but the cache's own record


def test_out_of_memory_while_trial_0_material_is_made_is_retried_and_passes(tmp_path, monkeypatch):
    """Memory that runs out while trial 0's inputs are made leaves no measured need: it is still a
    resource condition, retried, and the retry is admitted for the estimate (twice the inputs,
    times the memory factor) like the first attempt."""
    from tritonize_harness import verify as verify_mod
    from tritonize_harness.verify import MEMORY_FACTOR, Services

    monkeypatch.setenv("TRITONIZE_LEDGER_DIR", str(tmp_path))
    ledger = Ledger("cpu", 1 << 20, directory=str(tmp_path))
    ledger.try_reserve(1000)  # another verification's share
    real_material, needs, failed = verify_mod._Trials.material, [], []
    real_reserve = Ledger.reserve

    def material(self, t, seed):
        if not failed:
            failed.append(t)
            needs.append(None)
            raise torch.OutOfMemoryError("CUDA out of memory (simulated)")
        return real_material(self, t, seed)

    def reserve(self, need, deadline, poll_s=0.2):
        needs.append(need)
        return real_reserve(self, need, deadline, poll_s)

    monkeypatch.setattr(verify_mod._Trials, "material", material)
    monkeypatch.setattr(Ledger, "reserve", reserve)
    doc = verify(VerifyOptions(problem=fixture("scale.py"), candidate=fixture("scale_triton.py"), device="cpu",
                               trials=1, sets={"n": "300"}, memory_budget=1 << 20), Services())
    assert doc["ok"], doc["message"]
    estimate = int(MEMORY_FACTOR * 2 * 600 * 4)  # twice the 600-float input, times the factor
    assert needs == [estimate, None, estimate]  # first admission, the failure, the retry's admission
