"""Observation of one forward call: every aten op dispatched, every Triton launch, and which memory
the launches were given (so an output can be traced back to a kernel).
"""
from __future__ import annotations

from collections import Counter
from typing import Any

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten

from . import frames
from .ops import classify, op_name

# Scalar reads in one call after which the call is stopped (far above host_traffic's limit).
READ_STOP = 256

# Aten ops through which values made in Python enter a tensor (torch.tensor, as_tensor, from_numpy,
# `t[i] = v`, fill_(v)): counted, so that a result computed in Python cannot be uploaded unseen.
PYTHON_DATA_OPS = {
    "lift_fresh": "a tensor made from Python data (torch.tensor, as_tensor, from_numpy, t[i] = value)",
    "lift_fresh_copy": "a tensor made from Python data (torch.tensor, as_tensor, from_numpy, t[i] = value)",
    "fill_": "a tensor filled with a Python value (fill_)",
    "full": "a tensor filled with a Python value (torch.full)",
    "full_like": "a tensor filled with a Python value (torch.full_like)",
    "new_full": "a tensor filled with a Python value (new_full)",
    "scalar_tensor": "a tensor made from a Python scalar",
}


def _storage(t: torch.Tensor) -> int:
    return t.untyped_storage().data_ptr()


def _site() -> str:
    """file:line of the candidate's (or a library's) code that dispatched the op being recorded."""
    _, file, line = frames.culprit(3)
    return f"{file}:{line}"


def _tensors(value: Any) -> list[torch.Tensor]:
    flat, _ = tree_flatten(value)
    return [t for t in flat if isinstance(t, torch.Tensor)]


class CallRecord:
    """What one forward call did. A timed call (`observe_host=False`) counts its launches and
    nothing else: the host routes' bookkeeping walks frames (tens of microseconds a call, every
    data_ptr of every launch among them), which would be timed as the candidate's, and nothing
    judges a timed call's host traffic."""

    def __init__(self, observe_host: bool = True) -> None:
        self.observe_host = observe_host
        self.ops: Counter[str] = Counter()
        self.profiled_ops: Counter[str] = Counter()
        self.casts: list[dict[str, str]] = []
        self.launches = 0
        self.kernels: Counter[str] = Counter()
        self.side_stream: str | None = None
        self.bad_launch_args: list[str] = []
        # storages handed to Triton launches, and storages copied from those
        self.touched: set[int] = set()
        # Tensor data read into Python, and Python data put into tensors: {route, count, where}
        self.host_reads: list[dict[str, Any]] = []
        self.host_values: list[dict[str, Any]] = []
        self.scalar_reads = 0
        self.scalar_read_site: str | None = None
        # where each compute op was first dispatched from (the candidate's or a library's file:line)
        self.compute_sites: dict[str, str] = {}

    def as_dict(self) -> dict[str, Any]:
        return {
            "ops": dict(self.ops),
            "profiledOps": dict(self.profiled_ops),
            "casts": self.casts,
            "launches": self.launches,
            "kernels": dict(self.kernels),
            "sideStream": self.side_stream,
            "badLaunchArgs": self.bad_launch_args,
            "hostReads": _merged(self.host_reads),
            "hostValues": _merged(self.host_values),
            "computeSites": self.compute_sites,
            "scalarReadSite": self.scalar_read_site,
        }


def _merged(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per (route, where), counts summed: a loop of reads is one line of the report."""
    out: dict[tuple, dict[str, Any]] = {}
    for e in entries:
        key = (e["route"], e.get("where"))
        if key in out:
            out[key]["count"] += e["count"]
            out[key]["calls"] += 1
        else:
            out[key] = {**e, "calls": 1}
    return sorted(out.values(), key=lambda e: -e["count"])


class Recorder:
    """Holds the current CallRecord; the dispatch mode and the launch hook write into it."""

    def __init__(self) -> None:
        self.current: CallRecord | None = None
        # > 0 while a Triton launch runs (its interpreter may touch raw memory; nothing else may)
        self.launch_depth = 0
        # > 0 inside a Python-data factory the guard already counts (torch.tensor, from_numpy...)
        self.factory_depth = 0
        # Called (by the guard, which ends the process) when scalar reads in one call pass READ_STOP:
        # a loop reading a whole tensor is stopped at once instead of running to the time limit.
        self.on_excess_reads = None

    def on_op(self, func, args, kwargs, result) -> None:
        rec = self.current
        if rec is None:
            return
        name = op_name(func)
        rec.ops[name] += 1
        kind = classify(name)
        if kind == "compute" and name not in rec.compute_sites:
            rec.compute_sites[name] = _site()
        if self.launch_depth == 0:
            self._observe_host(rec, name, kind, result)
        if kind != "copy":
            return
        # A copy keeps provenance: a copy of kernel-written memory is kernel-written.
        sources = [t for t in _tensors((args, kwargs))]
        outs = _tensors(result)
        if name == "aten.copy_" and len(sources) >= 2:
            dst, src = sources[0], sources[1]
            if dst.dtype != src.dtype or dst.device != src.device:
                rec.casts.append({"op": name, "from": f"{src.dtype}@{src.device}", "to": f"{dst.dtype}@{dst.device}",
                                  "numel": src.numel()})
            if _storage(src) in rec.touched:
                rec.touched.add(_storage(dst))
            return
        if sources and outs:
            src = sources[0]
            touched = all(_storage(t) in rec.touched for t in sources)
            for out in outs:
                if out.dtype != src.dtype or out.device != src.device:
                    rec.casts.append({"op": name, "from": f"{src.dtype}@{src.device}", "to": f"{out.dtype}@{out.device}",
                                      "numel": src.numel()})
                if touched:
                    rec.touched.add(_storage(out))

    def _observe_host(self, rec: CallRecord, name: str, kind: str, result) -> None:
        """Scalar reads back to Python, and values made in Python entering tensors."""
        if kind == "host_read":
            rec.scalar_reads += 1
            if rec.scalar_read_site is None:
                rec.scalar_read_site = _site()
            if rec.scalar_reads > READ_STOP and self.on_excess_reads is not None:
                self.on_excess_reads(rec.scalar_reads)
        base = name.split(".", 1)[-1]
        if base in PYTHON_DATA_OPS and self.factory_depth == 0:
            outs = _tensors(result)
            count = outs[0].numel() if base.startswith("lift_fresh") and outs else 1
            rec.host_values.append({"route": PYTHON_DATA_OPS[base], "count": count, "where": _site()})

    def on_launch(self, kernel_name: str, args: tuple, kwargs: dict) -> None:
        rec = self.current
        if rec is None:
            return
        rec.launches += 1
        rec.kernels[kernel_name] += 1
        if torch.cuda.is_available() and torch.cuda.is_initialized():
            if torch.cuda.current_stream() != torch.cuda.default_stream():
                rec.side_stream = kernel_name
        if not rec.observe_host:
            return
        for value in list(args) + list(kwargs.values()):
            if isinstance(value, torch.Tensor):
                if type(value) is not torch.Tensor and not isinstance(value, torch.nn.Parameter):
                    rec.bad_launch_args.append(f"{kernel_name}: argument of type {type(value).__name__}")
                rec.touched.add(_storage(value))


class RecordingMode(TorchDispatchMode):
    """Sees every aten op dispatched in this thread while active (threads are stopped by the guard)."""

    def __init__(self, recorder: Recorder) -> None:
        super().__init__()
        self._recorder = recorder

    @classmethod
    def _should_skip_dynamo(cls) -> bool:
        # Otherwise torch wraps __torch_dispatch__ to keep dynamo out of it, and the wrapper imports
        # dynamo on the first op: seconds of a cold process, for a compiler candidates may not use.
        return False

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        result = func(*args, **kwargs)
        self._recorder.on_op(func, args, kwargs, result)
        return result


def install_launch_hook(recorder: Recorder) -> None:
    """Counts launches at the one place every Triton launch passes, compiled or interpreted."""
    from triton.runtime.jit import JITFunction

    targets = [JITFunction]
    try:
        from triton.runtime.interpreter import InterpretedFunction

        targets.append(InterpretedFunction)
    except ImportError:  # pragma: no cover
        pass
    for cls in targets:
        original = cls.run

        def run(self, *args, grid, warmup, _original=original, **kwargs):
            if not warmup:
                fn = getattr(self, "fn", None)
                name = getattr(fn, "__name__", None) or getattr(self, "__name__", "kernel")
                recorder.on_launch(name, args, kwargs)
            recorder.launch_depth += 1
            try:
                return _original(self, *args, grid=grid, warmup=warmup, **kwargs)
            finally:
                recorder.launch_depth -= 1

        cls.run = run
