"""The verification protocol: where a verdict is made.

Stages, each returning early with its failure recorded (as in KernelBench's evaluation, but with
the candidate in a process of its own):
  load        the problem and the candidate load; Model and ModelNew are built under one seed
  static      a fast reading of the candidate's source (static_check.py)
  compile / runtime   the candidate runs in the worker, observed (worker/)
  integrity   what the worker saw: aten compute ops, casts, launches, aliasing, mutation, provenance,
              blocked operations (judged here, from the worker's report)
  correctness outputs against the reference, which only this process holds (compare.py)
  resources   the machine could not hold the verification (admission by memory, ledger.py); never
              the candidate's fault, and retried while other verifications free memory
Trial 0 calls the candidate three times on the same inputs; later trials use fresh inputs from
distinct seeds, so a result cached from an earlier call fails.

Tensors reach the candidate's process through shared memory (transfer.py); the reference and the
inputs stay the supervisor's (references.py), and outputs come back written into buffers it shares.
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import torch

from . import VERDICT_SCHEMA
from .compare import Comparison, chunk_size, compare_outputs, tolerance_for
from .device import resolve_device
from .failure import Failure
from .ledger import Ledger
from .phases import MemoryWatch, Phases
from .host_traffic import judge_host_traffic
from .messages import render
from .problem import describe_error
from .references import (ExactReference, Material, Reference, References, build_reference,
                         estimate_footprint, run_reference, trial_inputs)
from .static_check import check_source
from .transfer import Outbox, fingerprint, sweep, tensor_bytes
from .worker.ops import cast_loses_precision, classify

__all__ = ["VerifyOptions", "Verdict", "Services", "verify", "build_reference", "run_reference", "trial_inputs"]

REPEATED_CALLS = 3
ALLOWED_KINDS = ("allocation", "view", "metadata", "copy", "custom")
DEFAULT_TIMEOUT_S = 120.0
DEFAULT_TRIALS = 5
# Admission reserves this many times the problem's footprint (inputs plus reference outputs).
MEMORY_FACTOR = 4.0
# Share of a GPU's memory that verifications may reserve between them, unless told otherwise.
GPU_BUDGET_SHARE = 0.9
RESOURCE_RETRIES = 3
# Memory for one slice of the float64 second look (inputs and outputs of a slice of the batch).
EXACT_SLICE_BYTES = 1 << 30


@dataclass
class VerifyOptions:
    problem: str
    candidate: str
    device: str = "auto"
    trials: int = DEFAULT_TRIALS
    sets: dict[str, str] = field(default_factory=dict)
    timeout_s: float = DEFAULT_TIMEOUT_S
    seed: int = 42
    workdir: str | None = None
    # Timing after a passing verification (bench): {"warmup": int, "iters": int, "compile": bool}
    bench: dict | None = None
    # Tests turn this off to show that the runtime checks alone reject a candidate.
    static_check: bool = True
    # Bytes that verifications on this device may reserve together (default: 90% of a GPU's
    # memory; no admission on the CPU unless given).
    memory_budget: int | None = None
    # Tensor conditions a call may read back to Python: a problem whose own forward branches on
    # tensor values needs one per condition it evaluates. Compute stays the kernels' job.
    control_reads: int = 0


@dataclass
class Services:
    """What a verification draws on: the reference cache, ready worker processes, the ledger and
    where progress goes. A one-shot verification makes its own; a server shares one."""
    references: References = field(default_factory=References)
    pool: Any = None  # pool.WorkerPool, or None: a fresh process started per candidate
    progress: Callable[[str], None] | None = None
    # a candidate's process started before this process imported torch (tritonize_harness verify)
    prestarted: Any = None
    # seconds this process spent before the verification began: its start, importing torch
    startup: dict[str, float] = field(default_factory=dict)

    def say(self, text: str) -> None:
        (self.progress or progress)(text)

    def exclusive(self) -> bool:
        """No other verification has run in this process since this one began (so the GPU
        allocator's figures are this verification's alone)."""
        return True

    def ledger(self, device: str, budget: int | None) -> Ledger | None:
        if device == "cuda":
            props = torch.cuda.get_device_properties(torch.cuda.current_device())
            key = "cuda-" + str(getattr(props, "uuid", "") or props.name).replace("/", "_")
            return Ledger(key, budget if budget is not None else int(props.total_memory * GPU_BUDGET_SHARE))
        return Ledger("cpu", budget) if budget is not None else None

    def worker(self, device: str, workdir: str):
        from .sandbox import WorkerProcess

        if self.pool is not None:
            return self.pool.take(device)
        early, self.prestarted = self.prestarted, None
        if early is not None:
            if early.device == device and early.alive():
                return early
            early.close()  # started for another device than the problem resolved to
        return WorkerProcess(workdir, device)


def judge_calls(reply: dict, trial: int, input_dtypes: set[str], control_reads: int = 0) -> None:
    """Integrity, from what the worker observed. The first problem found is the verdict."""
    for call_index, call in enumerate(reply["calls"], start=1):
        # Two independent records: the dispatch mode and the profiler. Either one seeing compute fails.
        seen = set(call["ops"]) | set(call.get("profiledOps", {}))
        judge_host_traffic(call, trial, call_index, control_reads)  # first: the route names a Python-side computation best
        compute = sorted(op for op in seen if classify(op) == "compute")
        if compute:
            sites = call.get("computeSites", {})
            raise Failure("integrity", "aten_compute_op", {"ops": compute, "trial": trial, "call": call_index,
                                                           "where": [f"{op} at {sites[op]}" for op in compute if op in sites]})
        for cast in call["casts"]:
            src, dst = cast["from"].split("@")[0], cast["to"].split("@")[0]
            if cast_loses_precision(src, dst, input_dtypes):
                raise Failure("integrity", "dtype_cast", {"op": cast["op"], "from": src, "to": dst})
        if call.get("foreignKernels"):
            raise Failure("integrity", "foreign_kernel", {"kernels": call["foreignKernels"][:5]})
        if call.get("sideStream"):
            raise Failure("integrity", "side_stream", {"kernel": call["sideStream"]})
        # outputs with no elements have nothing to compute: a wrapper may skip the launch
        nothing_to_compute = bool(call["outputs"]) and all(c.get("empty") for c in call["outputs"])
        if call["launches"] == 0 and not nothing_to_compute:
            raise Failure("integrity", "no_launch", {"call": call_index, "trial": trial})
        for check in call["outputs"]:
            if check.get("aliasesInput") is not None:
                raise Failure("integrity", "output_aliases_input",
                              {"output": check["output"], "input": check["aliasesInput"], "trial": trial})
    for index in reply.get("mutatedInputs", []):
        raise Failure("integrity", "input_mutated", {"input": index, "trial": trial})
    for call in reply["calls"]:
        for check in call["outputs"]:
            if check.get("tensor") and not check.get("fromKernel"):
                raise Failure("integrity", "output_not_from_kernel", {"output": check["output"], "trial": trial})


class Verdict:
    """Accumulates trials and renders the verdict document."""

    def __init__(self, opts: VerifyOptions) -> None:
        self.opts = opts
        self.started = time.monotonic()
        self.trials: list[dict] = []
        self.ops: dict[str, int] = {}
        self.launches = 0
        self.degenerate = False
        self.tolerance: dict | None = None
        self.device = opts.device
        self.worst: Comparison | None = None
        self.timings: dict | None = None
        self.launches_per_call: list[int] = []
        self.footprint: int | None = None
        self.peak: int | None = None
        self.memory: dict | None = None
        self.phases = Phases()

    def add_calls(self, reply: dict) -> int:
        launches = 0
        for call in reply.get("calls", []):
            launches += call["launches"]
            self.launches_per_call.append(call["launches"])
            for op, n in call["ops"].items():
                self.ops[op] = self.ops.get(op, 0) + n
        self.launches += launches
        return launches

    def add_trial(self, index: int, seed: int, calls: int, launches: int,
                  comparison: Comparison | None, failure: Failure | None, seconds: float | None = None) -> None:
        self.trials.append({
            "index": index, "seed": seed, "calls": calls, "ok": failure is None,
            "seconds": None if seconds is None else round(seconds, 3),
            "maxAbsErr": _finite(comparison.max_abs_err if comparison else _detail(failure, "max_abs_err", "abs_err")),
            "maxRelErr": _finite(comparison.max_rel_err if comparison else _detail(failure, "max_rel_err")),
            "worstIndex": comparison.worst_index if comparison else _detail(failure, "worst_index", "index"),
            "worstOutput": comparison.worst_output if comparison else _detail(failure, "output"),
            "judgedAgainstExact": bool(comparison and comparison.judged_exact),
            "launches": launches,
            "code": failure.code if failure else None,
            "message": render(failure.code, failure.details) if failure else None,
        })
        if comparison and (self.worst is None or comparison.max_abs_err >= self.worst.max_abs_err):
            self.worst = comparison
        if comparison and comparison.degenerate:
            self.degenerate = True

    def document(self, failure: Failure | None) -> dict:
        worst_trial = None
        if failure is None and self.worst is not None:
            worst = self.worst
            max_abs, max_rel, worst_index = worst.max_abs_err, worst.max_rel_err, worst.worst_index
        else:
            failing = [t for t in self.trials if not t["ok"]]
            worst_trial = failing[-1] if failing else None
            max_abs = worst_trial["maxAbsErr"] if worst_trial else None
            max_rel = worst_trial["maxRelErr"] if worst_trial else None
            worst_index = worst_trial["worstIndex"] if worst_trial else None
        from .worker.ops import classify as _classify

        return {
            "schema": VERDICT_SCHEMA,
            "ok": failure is None,
            "stage": failure.stage if failure else "passed",
            "code": failure.code if failure else None,
            "message": render(failure.code, failure.details) if failure else
            f"ACCEPTED: {len(self.trials)} trials matched the reference, {self.launches} Triton launches, "
            f"no compute outside Triton",
            "details": _json_safe(failure.details) if failure else {},
            "line": failure.line if failure else None,
            "traceback": failure.traceback if failure else None,
            "trials": self.trials,
            "maxAbsErr": _finite(max_abs),
            "maxRelErr": _finite(max_rel),
            "worstIndex": worst_index if isinstance(worst_index, list) else None,
            "launches": self.launches,
            "atenOps": [{"op": op, "count": n, "allowed": _classify(op) in ALLOWED_KINDS}
                        for op, n in sorted(self.ops.items())],
            "degenerate": self.degenerate,
            "tolerance": self.tolerance,
            "device": self.device,
            "interpreter": self.device == "cpu",
            "problem": self.opts.problem,
            "candidate": self.opts.candidate,
            "durationMs": round((time.monotonic() - self.started) * 1000, 1),
            "timings": self.timings,
            "footprintBytes": self.footprint,
            "peakBytes": self.peak,
            "memory": self.memory,
            "phases": self.phases.document(),
        }


def _json_safe(value):
    """Details may hold NaN or Inf (a wrong special value); JSON has no such numbers: say them as text."""
    if isinstance(value, float) and not (value == value and abs(value) != float("inf")):
        return str(value)
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


def _finite(x):
    if x is None:
        return None
    x = float(x)
    return x if x == x and x not in (float("inf"), float("-inf")) else None


def _detail(failure: Failure | None, *keys: str):
    if failure is None:
        return None
    for key in keys:
        if key in failure.details:
            return failure.details[key]
    return None


def verify(opts: VerifyOptions, services: Services | None = None) -> dict:
    """Runs the whole protocol and returns the verdict document. Never raises for a bad candidate."""
    services = services or Services()
    sweep()
    verdict = Verdict(opts)
    phases = verdict.phases
    for name, seconds in services.startup.items():
        phases.add(name, seconds)
    own_workdir = opts.workdir is None
    # named before it exists, so that the clean-up below removes it wherever an interrupt lands
    workdir = opts.workdir or os.path.join(tempfile.gettempdir(), f"tritonize-verify-{os.getpid()}-{os.urandom(4).hex()}")
    worker, failure, device = None, None, opts.device
    try:
        os.makedirs(workdir, exist_ok=True)
        device = resolve_device(opts.device)
        verdict.device = device
        if not os.path.isfile(opts.problem):
            raise Failure("load", "problem_missing_file", {"path": opts.problem})
        if not os.path.isfile(opts.candidate):
            raise Failure("load", "candidate_missing_file", {"path": opts.candidate})
        with open(opts.candidate, encoding="utf-8") as fh:
            source = fh.read()
        if opts.static_check:
            with phases.timed("static"):
                check_source(source, opts.candidate)
        # The candidate's process starts now (or started before): its imports overlap the
        # reference's work below.
        with phases.timed("workerTake"):
            worker = services.worker(device, workdir)
        with phases.timed("problemLoad"):
            ref = services.references.reference(opts.problem, opts.sets, device, opts.seed)
        ledger = services.ledger(device, opts.memory_budget)
        services.references.account(ledger, device)
        known_need = None
        for attempt in range(RESOURCE_RETRIES + 1):
            try:
                _attempt(opts, services, verdict, ref, ledger, workdir, worker or services.worker(device, workdir),
                         known_need)
                break
            except _Retry as retry:
                if attempt == RESOURCE_RETRIES:
                    raise retry.failure
                services.say(f"out of memory beside other verifications; waiting for memory ({retry.failure.code})")
                known_need = _give_way(retry, services.references, ref, device, _seed(opts, 0))
                verdict = Verdict(opts)
                verdict.device, verdict.phases = device, phases  # the time spent so far still counts
                phases.trials.clear()
                phases.cache_hits = 0
            finally:
                worker = None  # closed by the attempt; a retry gets a fresh process
                services.references.account(ledger, device)
    except Failure as f:
        failure = f
    finally:
        try:
            with phases.timed("teardown"):
                for unused in (worker, services.prestarted):
                    if unused is not None:
                        unused.close()
                services.prestarted = None
                _return_memory(device)
        finally:
            # also when an interrupt lands in the teardown itself
            if own_workdir:
                _remove_folder(workdir)
    return verdict.document(failure)


def _remove_folder(path: str) -> None:
    """Removes the folder whole even when an interrupt (SIGINT, or SIGTERM as KeyboardInterrupt)
    lands inside the removal: the removal goes on, and the interrupt is raised once it is done.
    An interrupt is often just behind the failure that brought the verification here (the caller
    kills the candidate's process, whose end the supervisor sees first, then signals it)."""
    interrupted: BaseException | None = None
    for _ in range(3):
        try:
            shutil.rmtree(path, ignore_errors=True)
            break
        except KeyboardInterrupt as exc:
            interrupted = exc
    if interrupted is not None:
        raise interrupted


class _Retry(Exception):
    """Out of memory while other verifications held memory on the device: try again once the whole
    need fits. `need` is what the attempt measured (None when it failed before trial 0's material)."""

    def __init__(self, failure: Failure, need: int | None) -> None:
        super().__init__(failure.code)
        self.failure, self.need = failure, need


def _give_way(retry: _Retry, refs: References, ref: Reference, device: str, seed: int) -> int:
    """Before a retry: this process's cached material and its allocator's free blocks go back to the
    device (other processes cannot use either), and the retry is admitted for its whole measured
    need, so that several verifications that collided are admitted one after another instead of
    colliding again, each waiting on memory the others hold."""
    refs.clear(device)
    _return_memory(device)
    if retry.need is not None:
        return retry.need
    return _need(estimate_footprint(ref, seed) + ref.param_bytes, 0)


def _return_memory(device: str) -> None:
    """Blocks PyTorch's allocator keeps after a verification are invisible to the ledger but
    unusable by other processes: they are handed back to the driver."""
    if device == "cuda":
        torch.cuda.empty_cache()


def _first_estimate(ref: Reference, ledger: Ledger | None, refs: References, seed: int) -> int:
    """The footprint admission reserves before trial 0's material exists. Alone on the device
    (nothing reserved but this process's cache) there is no sibling to crowd: nothing is reserved
    until trial 0's material gives the real figure, which spares a cold process the estimate's
    meta-device run (seconds of imports when get_inputs calls torch.randn). Beside others, the
    estimate; two that start together and find the device free both size themselves from their
    material, and an out-of-memory between them is a resource condition, retried."""
    if ledger is None or ledger.held(excluding=refs.ledger_tokens()) == 0:
        return 0
    return estimate_footprint(ref, seed)


def _need(footprint: int, cached: int) -> int:
    return int(MEMORY_FACTOR * footprint) - cached


def _seed(opts: VerifyOptions, t: int) -> int:
    return opts.seed + 1000 * (t + 1)


def _attempt(opts: VerifyOptions, services: Services, verdict: Verdict, ref: Reference,
             ledger: Ledger | None, workdir: str, worker, known_need: int | None = None) -> None:
    """One try with a fresh candidate process, which it closes. Fills the verdict; raises a Failure.
    `known_need`: what an earlier attempt measured, reserved whole before anything is made."""
    refs, phases = services.references, verdict.phases
    token, outbox = None, Outbox(workdir)
    need, measured = 0, None  # measured: the whole need, once trial 0's material gives it
    watch = MemoryWatch(ref.device, services.exclusive())
    built = refs.built
    try:
        with phases.timed("footprint"):
            first = refs.peek(ref, _seed(opts, 0))
            footprint = first.footprint if first else _first_estimate(ref, ledger, refs, _seed(opts, 0))
        verdict.footprint = footprint + ref.param_bytes  # an estimate until trial 0's material exists
        # Cached material is already on the device (and reserved by the cache).
        need = max(_need(verdict.footprint, footprint if first else 0), known_need or 0)
        if ledger is not None:
            with phases.timed("admission"):
                token = ledger.reserve(need, time.monotonic() + opts.timeout_s)
        # The candidate is imported and built while trial 0's inputs and reference outputs are
        # made: what it is sent holds the initialisation arguments, never a reference output.
        with phases.timed("loadSend"):
            worker.send({"cmd": "load", "candidate": os.path.abspath(opts.candidate),
                         "init": outbox.pack([_shareable(outbox, x) for x in ref.init_args]),
                         "seed": opts.seed, "cpuSeconds": opts.timeout_s})
        trial = _Trials(worker, ref, verdict, outbox, refs, watch)
        material0 = trial.material(0, _seed(opts, 0))
        # The problem's own memory: inputs, reference outputs, and the model's parameters and
        # buffers; the reservation made from the estimate now follows the real figure.
        verdict.footprint = material0.footprint + ref.param_bytes
        if token is not None:
            need = max(_need(verdict.footprint, material0.footprint if material0.hit else 0), known_need or 0)
            ledger.resize(token, need)
        measured = _need(verdict.footprint, 0)
        worker.deadline, worker.timeout_s = time.monotonic() + opts.timeout_s, opts.timeout_s
        waited = worker.waited
        with phases.timed("candidateLoad"):
            reply = worker.receive("loading the candidate")
        phases.add("candidateLoad", -(worker.waited - waited))  # the wait for "ready" is counted apart
        phases.add("workerWait", worker.waited)
        phases.worker.update(worker.startup)
        if "seconds" in reply:
            phases.worker["load"] = reply["seconds"]
        trial.note_worker(reply)
        outbox.close()
        _raise_worker_failure(reply)

        trials = max(1, opts.trials)
        for t in range(trials):
            trial.run(t, _seed(opts, t), REPEATED_CALLS if t == 0 else 1, material0)
            material0 = None  # trial 0's memory is freed before trial 1's is made
            services.say(f"trial {t + 1}/{trials} ok ({verdict.trials[-1]['launches']} launches, "
                         f"max abs err {verdict.trials[-1]['maxAbsErr']:.3g})")
        if opts.bench is not None:
            services.say("timing candidate, eager and torch.compile")
            verdict.timings = _bench(worker, ref, outbox, opts, verdict.launches_per_call, phases)
            # Re-check correctness after timing, on inputs never seen before: once as timed
            # (without the fresh-memory poison, which the candidate could tell), once poisoned.
            trial.run(trials, _seed(opts, trials), 1, poison=False)
            trial.run(trials + 1, _seed(opts, trials + 1), 1)
        _account_memory(verdict, ref, services, trial, watch, built != refs.built)
    except (Failure, torch.OutOfMemoryError) as exc:
        f = exc if isinstance(exc, Failure) else Failure(
            "resources", "out_of_memory", {"during": "verifying", "error": describe_error(exc)})
        if f.stage == "resources" and f.code == "out_of_memory":
            others = (ledger.held() - need) if ledger is not None and token is not None else 0
            if others > 0:
                raise _Retry(f, measured) from exc
        if f is exc:
            raise
        raise f from exc
    finally:
        with phases.timed("teardown"):
            worker.close()
            outbox.close()
            if ledger is not None:
                ledger.release(token)


# The comparison's scratch on a GPU for one slice: about eight float64 temporaries.
COMPARE_TEMPORARIES = 8


def _account_memory(verdict: Verdict, ref: Reference, services: Services, trial: "_Trials",
                    watch: MemoryWatch, built_now: bool) -> None:
    """GPU memory of this verification at its peak: the supervisor's (measured step by step when it
    ran alone in its process, else estimated from what it holds) plus the candidate process's own
    peak. Material and a model that a cache held before the verification began are counted too:
    the verification used them."""
    if ref.device != "cuda":
        return
    held_before = (0 if built_now else ref.param_bytes) + trial.cached_bytes
    measured = watch.active and services.exclusive()
    if measured:
        supervisor = watch.peak + held_before
        # The two processes peak at different steps: the supervisor's reference and comparison
        # run while the candidate's process only keeps what it holds between calls, and its own
        # peak comes while the supervisor holds the trial's material and buffers.
        steps = watch.steps
        verdict.peak = held_before + max(
            steps.get("candidate", 0) + trial.worker_peak,
            max((v for k, v in steps.items() if k != "candidate"), default=0) + trial.worker_held)
    else:
        scratch = COMPARE_TEMPORARIES * 8 * chunk_size(torch.device("cuda"), trial.largest_output)
        supervisor = (verdict.footprint or 0) + trial.buffer_bytes + scratch
        verdict.peak = supervisor + trial.worker_peak
    verdict.memory = {"supervisorPeakBytes": supervisor, "workerPeakBytes": trial.worker_peak,
                      "workerHeldBytes": trial.worker_held,
                      "paramBytes": ref.param_bytes, "heldBeforeBytes": held_before, "measured": measured,
                      "steps": dict(watch.steps) if measured else None}


def _shareable(outbox: Outbox, x):
    return outbox.share(x) if isinstance(x, torch.Tensor) else x


class _Trials:
    """One candidate's trials: material from the reference cache, inputs and output buffers shared
    with its process, its observations judged, its outputs compared."""

    def __init__(self, worker, ref: Reference, verdict: Verdict, outbox: Outbox, refs: References,
                 watch: MemoryWatch) -> None:
        self.worker, self.ref, self.verdict, self.outbox, self.refs = worker, ref, verdict, outbox, refs
        self.watch = watch
        self.previous: list[list[tuple[int, int]]] = []  # fingerprints of earlier trials' outputs
        self.worker_peak = 0
        self.worker_held = 0  # what the candidate's process keeps between calls (input copies, model)
        self.buffer_bytes = 0
        self.largest_output = 0
        self.cached_bytes = 0  # the largest trial material taken from the cache
        self._records: dict[int, dict] = {}

    def record(self, t: int) -> dict:
        if t not in self._records:
            self._records[t] = self.verdict.phases.trial()
        return self._records[t]

    def note_worker(self, reply: dict) -> None:
        """The candidate's process's memory as a reply reports it: its peak, and what it keeps."""
        self.worker_peak = max(self.worker_peak, reply.get("peakBytes") or 0)
        self.worker_held = max(self.worker_held, reply.get("heldBytes") or 0)

    def material(self, t: int, seed: int) -> Material:
        """The trial's inputs and reference outputs (trial 0's checked to be deterministic)."""
        timing = self.record(t)
        material = self.refs.material(self.ref, seed, check=t == 0, timing=timing, freeing=self.watch.freeing)
        if material.hit:
            self.cached_bytes = max(self.cached_bytes, material.footprint)
            self.verdict.phases.cache_hits += 1
        self.watch.mark("reference")
        return material

    def run(self, t: int, seed: int, calls: int, material: Material | None = None, poison: bool = True) -> None:
        material = material or self.material(t, seed)
        phases, record = self.verdict.phases, self.record(t)
        if t == 0:
            self.verdict.tolerance = dict(zip(("atol", "rtol"), tolerance_for(material.expected[0].dtype)))
        failure = comparison = None
        launches = 0
        started = time.monotonic()
        try:
            reply, got = self._call(material, t, calls, record, poison)
            launches = self.verdict.add_calls(reply)
            _raise_worker_failure(reply)
            with phases.timed("judge", record):
                judge_calls(reply, t, {str(x.dtype) for x in material.inputs if isinstance(x, torch.Tensor)},
                            self.verdict.opts.control_reads)
                _check_returned(reply, material.expected, t)
            exact = ExactReference(self.ref, material.inputs, material.expected, EXACT_SLICE_BYTES)
            try:
                with phases.timed("compare", record):
                    comparison = compare_outputs(material.expected, got, t, exact=lambda: exact)
            except Failure as f:
                _check_cached(f, [fingerprint(g) for g in got], self.previous, t)
                raise
            finally:
                if exact.seconds:
                    phases.add("compare", -exact.seconds, record)
                    phases.add("exact", exact.seconds, record)
                self.watch.mark("compare")
            with phases.timed("outputFingerprint", record):
                self.previous.append([fingerprint(g) for g in got])
            self.watch.mark("fingerprint")
        except Failure as f:
            failure = f
        self.verdict.add_trial(t, seed, calls, launches, comparison, failure, time.monotonic() - started)
        if material.cached and not material.hit:
            self.watch.set_aside(material.footprint)  # kept for later verifications, idle in this one
        if failure is not None:
            raise failure

    def _call(self, material: Material, t: int, calls: int, record: dict,
              poison: bool = True) -> tuple[dict, list[torch.Tensor]]:
        phases = self.verdict.phases
        with phases.timed("transfer", record):
            shared = [_shareable(self.outbox, x) for x in material.inputs]
            got = [self.outbox.buffer(e.shape, e.dtype, self.ref.device) for e in material.expected]
            self.buffer_bytes = max(self.buffer_bytes, tensor_bytes(got))
            self.largest_output = max([self.largest_output] + [e.numel() for e in material.expected])
            message = {"cmd": "call", "inputs": self.outbox.pack(shared), "outputs": self.outbox.pack(got),
                       "calls": calls, "trial": t, "poison": poison}
        with phases.timed("candidateWait", record):
            reply = self.worker.request(message, during=f"trial {t}")
        self.watch.mark("candidate")
        with phases.timed("transfer", record):
            self.outbox.close()
            if self.ref.device == "cuda":
                torch.cuda.ipc_collect()  # frees memory the candidate's process has let go of
        self.note_worker(reply)
        _worker_phases(reply.get("phases"), record)
        with phases.timed("inputCheck", record):
            changed = _changed(material) if material.cached else []
        if changed:
            # The supervisor's own copy changed under the candidate: drop it, blame the candidate.
            self.refs.drop(self.ref, material.seed)
            raise Failure("integrity", "input_mutated", {"input": changed[0], "trial": t})
        return reply, got


def _worker_phases(reported: Any, record: dict) -> None:
    """The candidate's process's own seconds for one trial, beside the supervisor's."""
    if not isinstance(reported, dict):
        return
    calls = [c for c in reported.get("calls", []) if isinstance(c, (int, float))]
    if calls:
        record["firstCall"] = calls[0]
        record["laterCalls"] = sum(calls[1:])
    for name in ("unpack", "copyIn", "mutationCheck", "writeBack"):
        if isinstance(reported.get(name), (int, float)):
            record["worker" + name[0].upper() + name[1:]] = reported[name]


def _changed(material: Material) -> list[int]:
    return [i for i, (x, fp) in enumerate(zip(material.inputs, material.fingerprints))
            if isinstance(x, torch.Tensor) and fingerprint(x) != fp]


def _check_returned(reply: dict, expected: list[torch.Tensor], trial: int) -> None:
    """Outputs the worker could not write into the shared buffers: say how they differ."""
    if reply.get("written"):
        return
    meta = reply.get("outputs") or []
    if len(meta) != len(expected):
        raise Failure("correctness", "output_count_mismatch", {"got": len(meta), "expected": len(expected), "trial": trial})
    for k, (m, e) in enumerate(zip(meta, expected)):
        if list(m["shape"]) != list(e.shape):
            raise Failure("correctness", "shape_mismatch",
                          {"output": k, "got": list(m["shape"]), "expected": list(e.shape), "trial": trial})
        if m["dtype"] != str(e.dtype):
            raise Failure("correctness", "dtype_mismatch",
                          {"output": k, "got": m["dtype"], "expected": str(e.dtype), "trial": trial})
    raise Failure("runtime", "worker_crashed", {"status": None, "stderr": "outputs were not returned"})


def _bench(worker, ref: Reference, outbox: Outbox, opts: VerifyOptions, verdict_launches_per_call: list[int],
           phases: Phases) -> dict:
    from .timing import time_cuda

    bench = opts.bench or {}
    warmup, iters = int(bench.get("warmup", 10)), int(bench.get("iters", 100))
    on_device = [x.to(ref.device) if isinstance(x, torch.Tensor) else x
                 for x in trial_inputs(ref, opts.seed + 7, ref.device)]
    with phases.timed("timeCandidate"):
        reply = worker.request({"cmd": "time", "inputs": outbox.pack([_shareable(outbox, x) for x in on_device]),
                                "warmup": warmup, "iters": iters}, during="timing")
    outbox.close()
    _raise_worker_failure(reply)
    per_call = min(verdict_launches_per_call)
    if reply["launches"] < per_call * reply["calls"]:
        raise Failure("integrity", "timing_mismatch", {
            "timed": reply["launches"] / reply["calls"], "verified": per_call})
    candidate = reply["timing"]
    with phases.timed("timeEager"):
        eager = time_cuda(ref.model, on_device, warmup, iters)
    compiled, compile_error = None, None
    if bench.get("compile", True):
        try:
            with phases.timed("timeCompiled"):  # its first warm-up call compiles
                compiled = time_cuda(torch.compile(ref.model), on_device, max(warmup, 3), iters)
        except Exception as exc:  # torch.compile fails on some programs; the table says so
            compile_error = describe_error(exc)
    return {
        "unit": "ms", "trials": iters, "candidate": candidate, "eager": eager, "compiled": compiled,
        "speedupVsEager": eager["median"] / candidate["median"],
        "speedupVsCompiled": compiled["median"] / candidate["median"] if compiled else None,
        "compileError": compile_error,
    }


def progress(text: str) -> None:
    """One line of progress on stderr (stdout carries only the verdict document)."""
    print(f"[verify] {text}", file=sys.stderr, flush=True)


def _raise_worker_failure(reply: dict) -> None:
    if not reply.get("ok"):
        f = reply["failure"]
        raise Failure(f["stage"], f["code"], f.get("details") or {}, line=f.get("line"), traceback=f.get("traceback"))


def _check_cached(f: Failure, got: list, previous: list, trial: int) -> None:
    """A wrong output identical (by fingerprint) to an earlier trial's, on different inputs, was cached."""
    if f.stage != "correctness":
        return
    for earlier, old in enumerate(previous):
        if old == got:
            raise Failure("integrity", "cached_output", {"output": 0, "trial": trial, "earlier": earlier}) from f
