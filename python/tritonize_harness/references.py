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
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

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
    model64: Any = None  # made on first need by run_exact_reference
    param_bytes: int = 0


@dataclass
class Material:
    """One trial's inputs and reference outputs, on the verification's device."""
    seed: int
    inputs: list[Any]
    expected: list[torch.Tensor]
    fingerprints: list[Any] = field(default_factory=list)
    cached: bool = False
    fresh: bool = True  # computed now (not served from the cache)

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


def trial_inputs(ref: Reference, seed: int) -> list[Any]:
    with HARNESS_LOCK:
        torch.manual_seed(seed)
        return ref.problem.get_inputs()


def run_reference(ref: Reference, args: list[Any]) -> list[torch.Tensor]:
    # The model runs on copies: a problem that works in place must not change the trial's inputs.
    copies = [x.to(ref.device, copy=True) if isinstance(x, torch.Tensor) else x for x in args]
    try:
        with HARNESS_LOCK, torch.no_grad():
            out = ref.model(*copies)
    except torch.OutOfMemoryError as exc:
        raise Failure("resources", "out_of_memory", {"during": "running the reference", "error": describe_error(exc)}) from exc
    except Exception as exc:
        raise Failure("load", "problem_forward_error", {"error": describe_error(exc)},
                      traceback=short_traceback(exc)) from exc
    outs = as_outputs(out, "reference")
    if ref.device == "cuda":
        torch.cuda.synchronize()
    return [o.detach() for o in outs]


def run_exact_reference(ref: Reference, inputs: list[Any]) -> list[torch.Tensor] | None:
    """The reference in float64 (model and floating inputs upcast), or None when it cannot run so."""
    try:
        with HARNESS_LOCK:
            if ref.model64 is None:
                ref.model64 = (copy.deepcopy(ref.model).to(torch.float64)
                               if isinstance(ref.model, torch.nn.Module) else ref.model)
            args = [x.to(ref.device, torch.float64) if isinstance(x, torch.Tensor) and x.is_floating_point()
                    else (x.to(ref.device) if isinstance(x, torch.Tensor) else x) for x in inputs]
            with torch.no_grad():
                return [o.detach() for o in as_outputs(ref.model64(*args), "reference")]
    except Exception:  # a model that builds fp32 tensors of its own, or no memory for it: the first verdict stands
        return None


def estimate_footprint(ref: Reference, inputs: list[Any]) -> int:
    """Inputs plus reference outputs in bytes, the outputs' size found on the meta device (no
    memory, no compute); a model that cannot run there is assumed to return as much as it takes."""
    in_bytes = tensor_bytes(inputs)
    try:
        with HARNESS_LOCK, torch.no_grad():
            meta_model = copy.deepcopy(ref.model).to("meta") if isinstance(ref.model, torch.nn.Module) else ref.model
            meta_args = [x.to("meta") if isinstance(x, torch.Tensor) else x for x in inputs]
            out_bytes = tensor_bytes(as_outputs(meta_model(*meta_args), "reference"))
    except Exception:
        out_bytes = in_bytes
    return in_bytes + out_bytes


class References:
    """Problems and trial material, cached within `cache_bytes` of device memory (0: no cache)."""

    def __init__(self, cache_bytes: int = 0) -> None:
        self.cache_bytes = cache_bytes
        self._problems: dict[tuple, Reference] = {}
        self._material: OrderedDict[tuple, Material] = OrderedDict()
        self._held = 0
        self._lock = threading.Lock()
        self.computed = 0  # reference outputs computed (a cache hit computes none)

    @property
    def held(self) -> int:
        return self._held

    def reference(self, path: str, sets: dict[str, str], device: str, seed: int) -> Reference:
        import os

        if not os.path.isfile(path):
            raise Failure("load", "problem_missing_file", {"path": path})
        key = _problem_key(path, sets, device, seed)
        with self._lock:
            ref = self._problems.get(key) if self.cache_bytes else None
        if ref is None:
            ref = build_reference(path, sets, device, seed)
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
                return Material(seed, m.inputs, m.expected, m.fingerprints, cached=True, fresh=False)
        return None

    def material(self, ref: Reference, seed: int, inputs: list[Any] | None = None) -> Material:
        """Cached material, or the trial's inputs (generated now unless given) and the reference's
        outputs on them, checked to be deterministic when first computed."""
        hit = self.peek(ref, seed)
        if hit is not None:
            return hit
        if inputs is None:
            inputs = trial_inputs(ref, seed)
        on_device = [x.to(ref.device) if isinstance(x, torch.Tensor) else x for x in inputs]
        expected = run_reference(ref, on_device)
        _check_deterministic(ref, on_device, expected)
        self.computed += 1
        m = Material(seed, on_device, expected)
        self._maybe_keep(ref, seed, m)
        return m

    def _maybe_keep(self, ref: Reference, seed: int, m: Material) -> None:
        size = m.footprint
        if not self.cache_bytes or size > self.cache_bytes:
            return
        m.fingerprints = [fingerprint(x) if isinstance(x, torch.Tensor) else None for x in m.inputs]
        with self._lock:
            while self._material and self._held + size > self.cache_bytes:
                _, old = self._material.popitem(last=False)
                self._held -= old.footprint
            self._material[(ref.key, seed)] = m
            self._held += size
        m.cached = True

    def drop(self, ref: Reference, seed: int) -> None:
        with self._lock:
            m = self._material.pop((ref.key, seed), None)
            if m is not None:
                self._held -= m.footprint


def _check_deterministic(ref: Reference, inputs, expected) -> None:
    from .compare import chunks, tolerance_for

    again = run_reference(ref, inputs)
    for a, b in zip(expected, again):
        if a.shape != b.shape:
            raise Failure("load", "nondeterministic_reference", {"diff": float("inf")})
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
