"""Loads a model_new.py the way KernelBench's evaluation loads a Triton submission, and compares.

The reference source is exec'd into a namespace; the submission is written to a temporary .py file
and imported (Triton's JIT needs a real file); set_seed(seed) comes before get_init_inputs and
before each constructor; both models are moved to fp32 as KernelBench moves them; the trials'
seeds are drawn from torch.manual_seed(seed), and each trial sets its seed before get_inputs.
Outputs are compared with torch.allclose at fp32's 1e-4. Prints one JSON document:
{"ok", "trials", "maxAbsErr", "error"}.

    TRITON_INTERPRET=1 python kernelbench_loader.py --reference P --submission model_new.py
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import tempfile

import torch


def set_seed(seed: int) -> None:
    torch.manual_seed(seed)
    torch.cuda.manual_seed(seed)


def load_submission(source: str):
    with tempfile.NamedTemporaryFile(mode="w", suffix=".py", delete=False) as fh:
        fh.write(source)
        path = fh.name
    spec = importlib.util.spec_from_file_location("temp_module", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.ModelNew, path


def check(reference: str, submission: str, trials: int, seed: int = 42, tol: float = 1e-4) -> dict:
    context: dict = {}
    with open(reference, encoding="utf-8") as fh:
        exec(fh.read(), context)
    set_seed(seed)
    init_inputs = context["get_init_inputs"]()
    with torch.no_grad():
        set_seed(seed)
        model = context["Model"](*init_inputs)
    with open(submission, encoding="utf-8") as fh:
        ModelNew, path = load_submission(fh.read())
    try:
        with torch.no_grad():
            set_seed(seed)
            custom = ModelNew(*init_inputs)
            # as KernelBench does before its trials: both models moved to the evaluation's precision
            model, custom = model.to(dtype=torch.float32), custom.to(dtype=torch.float32)
        torch.manual_seed(seed)
        seeds = [torch.randint(0, 2**32 - 1, (1,)).item() for _ in range(trials)]
        worst = 0.0
        with torch.no_grad():
            for s in seeds:
                set_seed(s)
                inputs = context["get_inputs"]()
                set_seed(s)
                expect = model(*inputs)
                set_seed(s)
                got = custom(*inputs)
                pairs = list(zip(expect, got)) if isinstance(expect, (tuple, list)) else [(expect, got)]
                for e, g in pairs:
                    if e.shape != g.shape or not torch.allclose(e, g, atol=tol, rtol=tol):
                        return {"ok": False, "trials": trials, "maxAbsErr": float((e - g).abs().max()) if e.shape == g.shape else None,
                                "error": f"output mismatch at trial seed {s}"}
                    worst = max(worst, float((e - g).abs().max()))
        return {"ok": True, "trials": trials, "maxAbsErr": worst, "error": None}
    finally:
        os.remove(path)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--reference", required=True)
    p.add_argument("--submission", required=True)
    p.add_argument("--trials", type=int, default=3)
    a = p.parse_args()
    try:
        doc = check(a.reference, a.submission, a.trials)
    except Exception as e:  # a load or run failure is the answer, not a crash
        doc = {"ok": False, "trials": a.trials, "maxAbsErr": None, "error": f"{type(e).__name__}: {e}"}
    print(json.dumps(doc))


if __name__ == "__main__":
    main()
