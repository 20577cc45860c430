"""``inspect``: load a problem, run it once, and describe its inputs and outputs.

Used to check a problem before any candidate is written (e.g. one a model wrote from a description).
"""
from __future__ import annotations

import time

import torch

from .compare import as_outputs
from .device import resolve_device
from .failure import Failure
from .messages import render
from .problem import parse_sets
from .references import _check_deterministic
from .verify import build_reference, run_reference, trial_inputs


def _describe(x) -> dict:
    if isinstance(x, torch.Tensor):
        return {"kind": "tensor", "shape": list(x.shape), "dtype": str(x.dtype).replace("torch.", ""),
                "contiguous": x.is_contiguous()}
    return {"kind": type(x).__name__, "value": x if isinstance(x, (int, float, bool, str)) else repr(x)}


def run(args) -> dict:
    started = time.monotonic()
    doc = {"schema": "tritonize.problem/1", "ok": False, "problem": args.problem, "code": None, "message": "",
           "details": {}, "traceback": None, "device": None, "constants": {}, "initInputs": [], "inputs": [],
           "outputs": [], "parameters": [], "training": None, "durationMs": 0}
    try:
        device = resolve_device(args.device)
        doc["device"] = device
        ref = build_reference(args.problem, parse_sets(args.sets), device, 42)
        inputs = trial_inputs(ref, 1042)
        outputs = as_outputs(run_reference(ref, inputs), "reference")
        # the same inputs twice must give the same result, or nothing can be verified against it
        _check_deterministic(ref, inputs, outputs)
        doc.update(ok=True, message="problem loads and runs",
                   training=bool(getattr(ref.model, "training", False)),
                   constants={k: v for k, v in ref.problem.constants.items()},
                   initInputs=[_describe(x) for x in ref.init_args],
                   inputs=[_describe(x) for x in inputs],
                   outputs=[_describe(x) for x in outputs],
                   parameters=[{"name": n, "shape": list(p.shape), "dtype": str(p.dtype).replace("torch.", "")}
                               for n, p in ref.model.named_parameters()] if isinstance(ref.model, torch.nn.Module) else [])
    except Failure as f:
        doc.update(code=f.code, message=render(f.code, f.details), details=f.details, traceback=f.traceback)
    doc["durationMs"] = round((time.monotonic() - started) * 1000, 1)
    return doc
