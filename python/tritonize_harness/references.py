"""The reference side of a verification: the problem's model, each trial's inputs and the
reference's outputs, computed once per (problem content, sizes, seed, trial, device) while a
harness process lives, and kept on the device within a byte budget.

Only the supervisor holds these. A cached trial's inputs are shared with candidates' processes (by
handle, read-only by contract); their fingerprints are checked after every trial, and an entry
whose memory changed is dropped, so a hostile candidate cannot poison a later one's reference.
"""
from __future__ import annotations

import copy
import hashlib
import os
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Callable

import torch

from .compare import as_outputs
from .failure import Failure
from .problem import LoadedProblem, describe_error, load_problem, short_traceback
from .transfer import fingerprint, tensor_bytes

# load_problem (sys.modules, sys.path), torch's global RNG and the reference's forward are shared
# by every verification of a process; a server runs several at once, so they take turns here.
HARNESS_LOCK = threading.RLock()


@dataclass
class Reference:
    problem: LoadedProblem
    model: torch.nn.Module
    init_args: list[Any]
    device: str
    key: tuple = ()
    model64: Any = None  # made on first need by the float64 second look
    param_bytes: int = 0
    writes_inputs: bool = False  # its forward was seen writing into its inputs: it runs on copies


@dataclass
class Material:
    """One trial's inputs and reference outputs, on the verification's device."""
    seed: int
    inputs: list[Any]
    expected: list[torch.Tensor]
    fingerprints: list[Any] = field(default_factory=list)
    cached: bool = False  # held by the cache: its inputs are checked after every trial
    hit: bool = False  # taken from the cache (computed by an earlier verification)
    checked: bool = False  # the reference was run twice on these inputs and agreed with itself

    @property
    def footprint(self) -> int:
        return tensor_bytes(self.inputs) + tensor_bytes(self.expected)


def _problem_key(path: str, sets: dict[str, str], device: str, seed: int) -> tuple:
    with open(path, "rb") as fh:
        digest = hashlib.sha256(fh.read()).hexdigest()
    return (digest, path, tuple(sorted(sets.items())), device, seed)


def build_reference(problem_path: str, sets: dict[str, str], device: str, seed: int) -> Reference:
    with HARNESS_LOCK:
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
    params = 0
    if isinstance(model, torch.nn.Module):
        params = sum(t.numel() * t.element_size() for t in list(model.parameters()) + list(model.buffers()))
    return Reference(problem, model, init_args, device, param_bytes=params)


def trial_inputs(ref: Reference, seed: int, device: str | None = None) -> list[Any]:
    """The trial's inputs, made on `device` when given (factory calls without a device land there:
    a GPU fills gigabytes of random numbers in milliseconds, a CPU in seconds)."""
    with HARNESS_LOCK:
        torch.manual_seed(seed)
        if device is None:
            return ref.problem.get_inputs()
        with torch.device(device):
            return ref.problem.get_inputs()


def run_reference(ref: Reference, args: list[Any]) -> list[torch.Tensor]:
    """The reference's outputs, the model run on copies (the caller's inputs never change)."""
    return _outputs(ref, [x.to(ref.device, copy=True) if isinstance(x, torch.Tensor) else x for x in args])


def outputs_in_place(ref: Reference, args: list[Any]) -> list[torch.Tensor]:
    """The reference's outputs, the model run on the trial's inputs themselves: a copy would add
    their size to every verification's memory. A forward seen writing into them (a version counter
    moved) raises InputsWritten, and the reference runs on copies from then on."""
    if ref.writes_inputs:
        return run_reference(ref, args)
    versions = [x._version if isinstance(x, torch.Tensor) else None for x in args]
    out = _outputs(ref, args)
    if any(isinstance(x, torch.Tensor) and x._version != v for x, v in zip(args, versions)):
        ref.writes_inputs = True
        raise InputsWritten()
    return out


class InputsWritten(Exception):
    """The reference's forward wrote into the trial's inputs: they must be made again."""


def _outputs(ref: Reference, args: list[Any]) -> list[torch.Tensor]:
    try:
        with HARNESS_LOCK, torch.no_grad():
            out = ref.model(*args)
    except torch.OutOfMemoryError as exc:
        raise Failure("resources", "out_of_memory", {"during": "running the reference", "error": describe_error(exc)}) from exc
    except Exception as exc:
        raise Failure("load", "problem_forward_error", {"error": describe_error(exc)},
                      traceback=short_traceback(exc)) from exc
    outs = as_outputs(out, "reference")
    if ref.device == "cuda":
        torch.cuda.synchronize()
    return [o.detach() for o in outs]


def _model64(ref: Reference):
    if ref.model64 is None:
        ref.model64 = copy.deepcopy(ref.model).to(torch.float64) if isinstance(ref.model, torch.nn.Module) else ref.model
    return ref.model64


def _upcast(inputs: list[Any], device: str, rows: slice | None) -> list[Any]:
    def one(x):
        if not isinstance(x, torch.Tensor):
            return x
        x = x if rows is None else x[rows]
        return x.to(device, torch.float64) if x.is_floating_point() else x.to(device)

    return [one(x) for x in inputs]


class ExactReference:
    """The reference in float64 (model and floating inputs upcast), a slice of the batch at a
    time where the problem allows it, so the second look costs a slice's memory, not twice the
    problem's. A problem allows it when every input and output has the same leading size and the
    model run on the first slice of the inputs gives the first slice of the reference's outputs."""

    def __init__(self, ref: Reference, inputs: list[Any], expected: list[torch.Tensor], budget: int) -> None:
        self.ref, self.inputs, self.expected, self.budget = ref, inputs, expected, budget
        self._step: int | None = None
        self.seconds = 0.0  # time spent computing float64 outputs (the verdict's `exact` phase)

    def slices(self, k: int):
        """(rows, float64 output k on those rows) pieces; none when the model cannot run in float64."""
        try:
            began = time.monotonic()
            step, batch = self._plan()
            self.seconds += time.monotonic() - began
            for start in range(0, batch, step):
                began = time.monotonic()
                rows = slice(start, min(batch, start + step)) if step < batch else None
                with HARNESS_LOCK, torch.no_grad():
                    out = as_outputs(_model64(self.ref)(*_upcast(self.inputs, self.ref.device, rows)), "reference")
                self.seconds += time.monotonic() - began
                yield rows, out[k].detach()
                del out
        except Exception:  # a model that builds fp32 tensors of its own, or no memory for it: the first verdict stands
            return

    def _plan(self) -> tuple[int, int]:
        tensors = [x for x in self.inputs if isinstance(x, torch.Tensor)]
        whole = (1, 1)
        if not tensors or any(x.dim() == 0 for x in tensors + self.expected):
            return whole
        batch = tensors[0].shape[0]
        if batch < 2 or any(x.shape[0] != batch for x in tensors + self.expected):
            return whole
        per_row = 2 * (tensor_bytes(tensors) + tensor_bytes(self.expected)) // batch  # float64: twice fp32
        step = max(1, min(batch, self.budget // max(1, per_row)))
        if step >= batch or not self._slices_agree(step):
            return (batch, batch) if step < batch else whole
        return step, batch

    def _slices_agree(self, step: int) -> bool:
        from .compare import tolerance_for

        try:
            with HARNESS_LOCK, torch.no_grad():
                part = as_outputs(self.ref.model(*[x[:step].clone() if isinstance(x, torch.Tensor) else x
                                                   for x in self.inputs]), "reference")
        except Exception:  # the rows are not independent (shapes no longer fit)
            return False
        if len(part) != len(self.expected):
            return False
        for p, e in zip(part, self.expected):
            atol, rtol = tolerance_for(e.dtype)
            if p.shape != e[:step].shape or not torch.allclose(p, e[:step], atol=atol, rtol=rtol, equal_nan=True):
                return False
        return True


def estimate_footprint(ref: Reference, seed: int) -> int:
    """Inputs plus reference outputs in bytes, before anything is made, for admission: the inputs
    from get_inputs on the meta device (shapes only: no memory, no compute), the outputs assumed as
    large as the inputs; the verification corrects it once trial 0's outputs exist. (Running the
    model on the meta device would give the outputs, but its first meta operator imports dynamo
    and sympy: seconds of a cold process.) Inputs that cannot be made there are made on the CPU."""
    try:
        return 2 * tensor_bytes(trial_inputs(ref, seed, "meta"))
    except Exception:
        return 2 * tensor_bytes(trial_inputs(ref, seed))


class References:
    """Problems and trial material, cached within `cache_bytes` of device memory (0: no cache)."""

    def __init__(self, cache_bytes: int = 0) -> None:
        self.cache_bytes = cache_bytes
        self._problems: dict[tuple, Reference] = {}
        self._material: OrderedDict[tuple, Material] = OrderedDict()
        self._held = 0
        self._lock = threading.Lock()
        self.computed = 0  # reference outputs computed (a cache hit computes none)
        self._ledger_entries: dict[str, tuple[Any, str]] = {}  # ledger file -> (ledger, this cache's entry)
        self.built = 0  # references (problem loaded, model built) made

    @property
    def held(self) -> int:
        return self._held

    def reference(self, path: str, sets: dict[str, str], device: str, seed: int) -> Reference:
        if not os.path.isfile(path):
            raise Failure("load", "problem_missing_file", {"path": path})
        key = _problem_key(path, sets, device, seed)
        with self._lock:
            ref = self._problems.get(key) if self.cache_bytes else None
        if ref is None:
            ref = build_reference(path, sets, device, seed)
            self.built += 1
            ref.key = key
            if self.cache_bytes:
                with self._lock:
                    ref = self._problems.setdefault(key, ref)
        return ref

    def peek(self, ref: Reference, seed: int) -> Material | None:
        with self._lock:
            m = self._material.get((ref.key, seed))
            if m is not None:
                self._material.move_to_end((ref.key, seed))
                return Material(seed, m.inputs, m.expected, m.fingerprints, cached=True, hit=True, checked=m.checked)
        return None

    def material(self, ref: Reference, seed: int, check: bool = True, timing: dict | None = None,
                 freeing: Callable[[Callable[[], None]], None] = lambda free: free()) -> Material:
        """Cached material, or the trial's inputs and the reference's outputs on them. With `check`
        the reference is run a second time and must agree with itself (the protocol does this for
        trial 0). `timing` receives the seconds spent making inputs and running the reference."""
        timing = timing if timing is not None else {}
        hit = self.peek(ref, seed)
        if hit is not None:
            if check and not hit.checked:
                _timed(timing, "reference", lambda: _check_deterministic(ref, hit.inputs, hit.expected))
                hit.checked = True
            return hit
        try:
            on_device, expected = self._inputs_and_outputs(ref, seed, check, timing)
        except InputsWritten:  # those inputs were written into: made again, the reference on copies
            on_device, expected = self._inputs_and_outputs(ref, seed, check, timing)
        self.computed += 1
        m = Material(seed, on_device, expected, checked=check)
        _timed(timing, "cacheKeep", lambda: self._maybe_keep(ref, seed, m, freeing))
        return m

    @staticmethod
    def _inputs_and_outputs(ref: Reference, seed: int, check: bool, timing: dict) -> tuple[list[Any], list[torch.Tensor]]:
        inputs = _timed(timing, "inputs", lambda: trial_inputs(ref, seed, ref.device))
        on_device = [x.to(ref.device) if isinstance(x, torch.Tensor) else x for x in inputs]
        expected = _timed(timing, "reference", lambda: outputs_in_place(ref, on_device))
        if check:
            _timed(timing, "reference", lambda: _check_deterministic(ref, on_device, expected))
        return on_device, expected

    def _maybe_keep(self, ref: Reference, seed: int, m: Material, freeing) -> None:
        """Keeps the material within the budget, dropping the least recently used entries of other
        problems first (inside `freeing`, so a memory watch can tell what was freed). Entries of the
        same problem are not dropped for it: its trials come in order, so pushing out its own
        earlier trials would leave nothing a later pass could reuse."""
        size = m.footprint
        if not self.cache_bytes or size > self.cache_bytes:
            return
        with self._lock:
            others = [k for k in self._material if k[0] != ref.key]
            room = self.cache_bytes - self._held + sum(self._material[k].footprint for k in others)
            if size > room:
                return
        m.fingerprints = [fingerprint(x) if isinstance(x, torch.Tensor) else None for x in m.inputs]

        def evict() -> None:
            for key in [k for k in self._material if k[0] != ref.key]:
                if self._held + size <= self.cache_bytes:
                    break
                self._held -= self._material.pop(key).footprint

        with self._lock:
            freeing(evict)
            if self._held + size > self.cache_bytes:
                return
            self._material[(ref.key, seed)] = m
            self._held += size
        m.cached = True

    def account(self, ledger, device: str) -> None:
        """Records in the device's ledger what the cache holds there, so that verifications in
        other processes are admitted beside it rather than into its memory."""
        if ledger is None:
            return
        with self._lock:
            held = sum(m.footprint for key, m in self._material.items() if key[0][3] == device)
            entry = self._ledger_entries.get(ledger.path)
            if entry is None and held == 0:
                return
            self._ledger_entries[ledger.path] = (ledger, ledger.record(entry[1] if entry else None, held))

    def ledger_tokens(self) -> tuple[str, ...]:
        return tuple(token for _, token in self._ledger_entries.values())

    def leave_ledgers(self) -> None:
        with self._lock:
            for ledger, token in self._ledger_entries.values():
                ledger.release(token)
            self._ledger_entries.clear()

    def clear(self, device: str) -> None:
        """Drops every entry on `device` (a verification that ran out of memory gives way)."""
        with self._lock:
            for key in [k for k in self._material if k[0][3] == device]:
                self._held -= self._material.pop(key).footprint

    def drop(self, ref: Reference, seed: int) -> None:
        with self._lock:
            m = self._material.pop((ref.key, seed), None)
            if m is not None:
                self._held -= m.footprint


def _timed(record: dict, name: str, work):
    began = time.monotonic()
    try:
        return work()
    finally:
        record[name] = record.get(name, 0.0) + time.monotonic() - began


def _check_deterministic(ref: Reference, inputs, expected) -> None:
    from .compare import chunks, tolerance_for

    again = outputs_in_place(ref, inputs)
    for a, b in zip(expected, again):
        if a.shape != b.shape:
            raise Failure("load", "nondeterministic_reference", {"diff": float("inf")})
        if torch.equal(a, b):  # the usual case, in one pass and no scratch
            continue
        diff = 0.0
        for _, (x, y) in chunks(a, b):
            same_nan = torch.isnan(x) == torch.isnan(y)
            if not bool(same_nan.all()):
                diff = float("inf")
                break
            d = torch.where(torch.isnan(x) | (x == y), torch.zeros_like(x), (x - y).abs())
            diff = max(diff, float(d.max()) if d.numel() else 0.0)
        atol, _ = tolerance_for(a.dtype)
        if diff > atol:
            raise Failure("load", "nondeterministic_reference", {"diff": diff})
