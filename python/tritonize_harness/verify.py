"""The verification protocol: where a verdict is made.

Stages, each returning early with its failure recorded (as in KernelBench's evaluation, but with
the candidate in a process of its own):
  load        the problem and the candidate load; Model and ModelNew are built under one seed
  static      a fast reading of the candidate's source (static_check.py)
  compile / runtime   the candidate runs in the worker, observed (worker/)
  integrity   what the worker saw: aten compute ops, casts, launches, aliasing, mutation, provenance,
              blocked operations (judged here, from the worker's report)
  correctness outputs against the reference, which only this process holds (compare.py)
Trial 0 calls the candidate three times on the same inputs; later trials use fresh inputs from
distinct seeds, so a result cached from an earlier call fails.
"""
from __future__ import annotations

import copy
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

import torch

from . import VERDICT_SCHEMA
from .compare import Comparison, as_outputs, compare_outputs, tolerance_for
from .device import resolve_device
from .failure import Failure
from .messages import render
from .problem import LoadedProblem, describe_error, load_problem, short_traceback
from .static_check import check_source
from .worker.ops import cast_loses_precision, classify

REPEATED_CALLS = 3
ALLOWED_KINDS = ("allocation", "view", "metadata", "copy", "custom")
DEFAULT_TIMEOUT_S = 120.0
DEFAULT_TRIALS = 5


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
    # Tensor conditions a call may read back to Python: a problem whose own forward branches on
    # tensor values needs one per condition it evaluates. Compute stays the kernels' job.
    control_reads: int = 0


@dataclass
class Reference:
    problem: LoadedProblem
    model: torch.nn.Module
    init_args: list[Any]
    device: str
    model64: Any = None  # made on first need by run_exact_reference


def build_reference(problem_path: str, sets: dict[str, str], device: str, seed: int) -> Reference:
    problem = load_problem(problem_path, sets)
    torch.manual_seed(seed)
    init_args = problem.get_init_inputs()
    torch.manual_seed(seed)
    try:
        model = problem.Model(*init_args)
        if isinstance(model, torch.nn.Module):
            model = model.to(device)
    except Exception as exc:
        raise Failure("load", "problem_init_error", {"error": describe_error(exc)},
                      traceback=short_traceback(exc)) from exc
    return Reference(problem, model, init_args, device)


def trial_inputs(ref: Reference, seed: int) -> list[Any]:
    torch.manual_seed(seed)
    return ref.problem.get_inputs()


def run_reference(ref: Reference, inputs: list[Any]) -> list[torch.Tensor]:
    args = [x.to(ref.device).clone() if isinstance(x, torch.Tensor) else x for x in inputs]
    try:
        with torch.no_grad():
            out = ref.model(*args)
    except Exception as exc:
        raise Failure("load", "problem_forward_error", {"error": describe_error(exc)},
                      traceback=short_traceback(exc)) from exc
    outs = as_outputs(out, "reference")
    if ref.device == "cuda":
        torch.cuda.synchronize()
    return [o.detach().clone() for o in outs]


def run_exact_reference(ref: Reference, inputs: list[Any]) -> list[torch.Tensor] | None:
    """The reference in float64 (model and floating inputs upcast), or None when it cannot run so."""
    try:
        if ref.model64 is None:
            ref.model64 = copy.deepcopy(ref.model).to(torch.float64) if isinstance(ref.model, torch.nn.Module) else ref.model
        args = [x.to(ref.device, torch.float64) if isinstance(x, torch.Tensor) and x.is_floating_point()
                else (x.to(ref.device) if isinstance(x, torch.Tensor) else x) for x in inputs]
        with torch.no_grad():
            return [o.detach() for o in as_outputs(ref.model64(*args), "reference")]
    except Exception:  # a model that builds fp32 tensors of its own, say: the first verdict stands
        return None


def judge_calls(reply: dict, trial: int, input_dtypes: set[str], control_reads: int = 0) -> None:
    """Integrity, from what the worker observed. The first problem found is the verdict."""
    for call_index, call in enumerate(reply["calls"], start=1):
        # Two independent records: the dispatch mode and the profiler. Either one seeing compute fails.
        seen = set(call["ops"]) | set(call.get("profiledOps", {}))
        compute = sorted(op for op in seen if classify(op) == "compute")
        if compute:
            raise Failure("integrity", "aten_compute_op", {"ops": compute, "trial": trial, "call": call_index})
        for cast in call["casts"]:
            (src, src_dev), (dst, dst_dev) = cast["from"].split("@"), cast["to"].split("@")
            if src_dev != dst_dev:
                raise Failure("integrity", "host_read", {"op": f"{cast['op']} {cast['from']} -> {cast['to']}"})
            if cast_loses_precision(src, dst, input_dtypes):
                raise Failure("integrity", "dtype_cast", {"op": cast["op"], "from": src, "to": dst})
        # one `if tensor:` dispatches the read op twice (bool() reaches _local_scalar_dense through
        # is_nonzero and item), so each allowed condition allows two
        reads = sorted(op for op in seen if classify(op) == "host_read"
                       and max(call["ops"].get(op, 0), call.get("profiledOps", {}).get(op, 0)) > 2 * control_reads)
        if reads:
            raise Failure("integrity", "host_read", {"op": ", ".join(reads)})
        if call.get("foreignKernels"):
            raise Failure("integrity", "foreign_kernel", {"kernels": call["foreignKernels"][:5]})
        if call.get("sideStream"):
            raise Failure("integrity", "side_stream", {"kernel": call["sideStream"]})
        if call["launches"] == 0:
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
                  comparison: Comparison | None, failure: Failure | None) -> None:
        self.trials.append({
            "index": index, "seed": seed, "calls": calls, "ok": failure is None,
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


def verify(opts: VerifyOptions) -> dict:
    """Runs the whole protocol and returns the verdict document. Never raises for a bad candidate."""
    from .sandbox import WorkerProcess

    verdict = Verdict(opts)
    worker: WorkerProcess | None = None
    own_workdir = opts.workdir is None
    workdir = opts.workdir or tempfile.mkdtemp(prefix="tritonize-verify-")
    os.makedirs(workdir, exist_ok=True)
    deadline = time.monotonic() + opts.timeout_s
    try:
        device = resolve_device(opts.device)
        verdict.device = device
        if not os.path.isfile(opts.candidate):
            raise Failure("load", "candidate_missing_file", {"path": opts.candidate})
        ref = build_reference(opts.problem, opts.sets, device, opts.seed)
        with open(opts.candidate, encoding="utf-8") as fh:
            source = fh.read()
        if opts.static_check:
            check_source(source, opts.candidate)

        worker = WorkerProcess(workdir, device, deadline)
        worker.timeout_s = opts.timeout_s
        init_path = os.path.join(workdir, "init.pt")
        torch.save(ref.init_args, init_path)
        reply = worker.request({"cmd": "load", "candidate": os.path.abspath(opts.candidate),
                                "init": init_path, "seed": opts.seed}, during="loading the candidate")
        _raise_worker_failure(reply)

        previous: list[tuple[list[torch.Tensor], list[torch.Tensor]]] = []
        trials = max(1, opts.trials)
        for t in range(trials):
            _run_trial(worker, ref, verdict, workdir, t, opts.seed + 1000 * (t + 1),
                       REPEATED_CALLS if t == 0 else 1, previous)
            progress(f"trial {t + 1}/{trials} ok ({verdict.trials[-1]['launches']} launches, "
                     f"max abs err {verdict.trials[-1]['maxAbsErr']:.3g})")
        if opts.bench is not None:
            progress("timing candidate, eager and torch.compile")
            verdict.timings = _bench(worker, ref, workdir, opts, verdict.launches_per_call)
            # Re-check correctness after timing, on inputs never seen before.
            _run_trial(worker, ref, verdict, workdir, trials, opts.seed + 1000 * (trials + 1), 1, previous)
        return verdict.document(None)
    except Failure as f:
        return verdict.document(f)
    finally:
        if worker is not None:
            worker.close()
        if own_workdir:
            shutil.rmtree(workdir, ignore_errors=True)


def _run_trial(worker, ref: Reference, verdict: "Verdict", workdir: str, t: int, seed: int, calls: int,
               previous: list) -> None:
    inputs = trial_inputs(ref, seed)
    expected = run_reference(ref, inputs)
    if t == 0:
        _check_reference_deterministic(ref, inputs, expected)
        verdict.tolerance = dict(zip(("atol", "rtol"), tolerance_for(expected[0].dtype)))
    inputs_path = os.path.join(workdir, f"inputs-{t}.pt")
    out_path = os.path.join(workdir, f"outputs-{t}.pt")
    torch.save([x.detach().cpu() if isinstance(x, torch.Tensor) else x for x in inputs], inputs_path)
    failure = None
    comparison = None
    launches = 0
    try:
        reply = worker.request({"cmd": "call", "inputs": inputs_path, "calls": calls, "out": out_path,
                                "trial": t}, during=f"trial {t}")
        launches = verdict.add_calls(reply)
        _raise_worker_failure(reply)
        judge_calls(reply, t, {str(x.dtype) for x in inputs if isinstance(x, torch.Tensor)},
                    verdict.opts.control_reads)
        saved = torch.load(out_path, weights_only=True)
        got = saved["outputs"] if saved["tuple"] else saved["outputs"][:1]
        try:
            comparison = compare_outputs([e.cpu() for e in expected], got, t,
                                         exact=lambda: run_exact_reference(ref, inputs))
        except Failure as f:
            _check_cached(f, got, previous, t)
            raise
        previous.append(got)
    except Failure as f:
        failure = f
    verdict.add_trial(t, seed, calls, launches, comparison, failure)
    if failure is not None:
        raise failure


def _bench(worker, ref: Reference, workdir: str, opts: VerifyOptions, verdict_launches_per_call: list[int]) -> dict:
    from .timing import time_cuda

    bench = opts.bench or {}
    warmup, iters = int(bench.get("warmup", 10)), int(bench.get("iters", 100))
    inputs = trial_inputs(ref, opts.seed + 7)
    path = os.path.join(workdir, "inputs-bench.pt")
    torch.save([x.detach().cpu() if isinstance(x, torch.Tensor) else x for x in inputs], path)
    reply = worker.request({"cmd": "time", "inputs": path, "warmup": warmup, "iters": iters}, during="timing")
    _raise_worker_failure(reply)
    per_call = min(verdict_launches_per_call)
    if reply["launches"] < per_call * reply["calls"]:
        raise Failure("integrity", "timing_mismatch", {
            "timed": reply["launches"] / reply["calls"], "verified": per_call})
    candidate = reply["timing"]
    on_device = [x.to(ref.device) if isinstance(x, torch.Tensor) else x for x in inputs]
    eager = time_cuda(ref.model, on_device, warmup, iters)
    compiled, compile_error = None, None
    if bench.get("compile", True):
        try:
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


def _check_reference_deterministic(ref: Reference, inputs, expected) -> None:
    again = run_reference(ref, inputs)
    for a, b in zip(expected, again):
        if a.shape != b.shape or not torch.equal(torch.nan_to_num(a), torch.nan_to_num(b)):
            diff = float((a.double() - b.double()).abs().max()) if a.shape == b.shape else float("inf")
            atol, rtol = tolerance_for(a.dtype)
            if a.shape != b.shape or diff > atol:
                raise Failure("load", "nondeterministic_reference", {"diff": diff})


def _check_cached(f: Failure, got, previous, trial: int) -> None:
    """A wrong output identical to an earlier trial's, on different inputs, was cached."""
    if f.stage != "correctness":
        return
    for earlier, old_out in enumerate(previous):
        if len(old_out) == len(got) and all(a.shape == b.shape and torch.equal(a, b) for a, b in zip(old_out, got)):
            raise Failure("integrity", "cached_output", {"output": 0, "trial": trial, "earlier": earlier}) from f
