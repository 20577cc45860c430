"""Comparing a candidate's outputs with the reference's: the correctness rule, in one place.

Tolerances follow KernelBench: fp32 atol = rtol = 1e-4; fp16 and bf16 atol = rtol = 1e-2; an
element passes when |out - ref| <= atol + rtol * |ref|. NaN or Inf where the reference is finite
fails, and so does a finite value where the reference is NaN/Inf (unless both are the same Inf).

Degenerate references: when max |ref| <= atol, an all-zero output would pass the absolute
tolerance while computing nothing. Such a reference is reported as `degenerate` and judged on its
own scale: both tensors are divided by s = max |ref| and must then agree within the same
tolerances (a reference that is exactly zero everywhere must be matched exactly).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from .failure import Failure

TOLERANCES = {
    torch.float32: (1e-4, 1e-4),
    torch.float64: (1e-6, 1e-6),
    torch.float16: (1e-2, 1e-2),
    torch.bfloat16: (1e-2, 1e-2),
}


def tolerance_for(dtype: torch.dtype) -> tuple[float, float]:
    return TOLERANCES.get(dtype, (0.0, 0.0))  # integers and booleans: exact


@dataclass
class Comparison:
    max_abs_err: float
    max_rel_err: float
    worst_index: list[int]
    worst_output: int
    degenerate: bool
    # passed only against the float64 reference (the eager reference's own rounding was larger)
    judged_exact: bool = False


def as_outputs(value, who: str) -> list[torch.Tensor]:
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, (tuple, list)) and value and all(isinstance(v, torch.Tensor) for v in value):
        return list(value)
    got = type(value).__name__
    if isinstance(value, (tuple, list)):
        got += " of " + ", ".join(sorted({type(v).__name__ for v in value})) if value else " (empty)"
    if who == "reference":
        raise Failure("load", "problem_bad_output", {"got": got})
    raise Failure("runtime", "bad_output_type", {"got": got, "expected": "a tensor or a tuple/list of tensors"})


def _unravel(flat: int, shape: torch.Size) -> list[int]:
    index = []
    for dim in reversed(shape):
        index.append(flat % dim if dim else 0)
        flat = flat // dim if dim else 0
    return list(reversed(index))


def compare_outputs(ref: list[torch.Tensor], out: list[torch.Tensor], trial: int,
                    exact=None) -> Comparison:
    """Raises a correctness Failure for the first output that does not match.

    `exact` (called only when needed) returns float64 reference outputs for the second chance
    described above, or None when the model cannot run in float64."""
    if len(out) != len(ref):
        raise Failure("correctness", "output_count_mismatch", {"got": len(out), "expected": len(ref), "trial": trial})
    worst = Comparison(0.0, 0.0, [], 0, False)
    for k, (r, o) in enumerate(zip(ref, out)):
        if tuple(o.shape) != tuple(r.shape):
            raise Failure("correctness", "shape_mismatch",
                          {"output": k, "got": list(o.shape), "expected": list(r.shape), "trial": trial})
        if o.dtype != r.dtype:
            raise Failure("correctness", "dtype_mismatch",
                          {"output": k, "got": str(o.dtype), "expected": str(r.dtype), "trial": trial})
        try:
            c = _compare_one(r, o, k, trial)
        except Failure as f:
            if f.code != "mismatch" or exact is None:
                raise
            exact_outputs = exact()
            if exact_outputs is None or not _within_eager_error(r, exact_outputs[k], o):
                raise
            c = _compare_to_exact(r, exact_outputs[k], o, k)
        if c.max_abs_err >= worst.max_abs_err:
            worst = Comparison(c.max_abs_err, max(c.max_rel_err, worst.max_rel_err), c.worst_index, k,
                               worst.degenerate or c.degenerate, worst.judged_exact or c.judged_exact)
        else:
            worst.max_rel_err = max(worst.max_rel_err, c.max_rel_err)
            worst.degenerate = worst.degenerate or c.degenerate
            worst.judged_exact = worst.judged_exact or c.judged_exact
    return worst


def is_degenerate(ref: torch.Tensor) -> bool:
    if not ref.is_floating_point() or ref.numel() == 0:
        return False
    atol, _ = tolerance_for(ref.dtype)
    finite = ref[torch.isfinite(ref)]
    return finite.numel() == ref.numel() and float(finite.abs().max()) <= atol


def _compare_one(ref: torch.Tensor, out: torch.Tensor, k: int, trial: int) -> Comparison:
    r = ref.detach().to("cpu", torch.float64)
    o = out.detach().to("cpu", torch.float64)
    if r.numel() == 0:
        return Comparison(0.0, 0.0, [], k, False)
    atol, rtol = tolerance_for(ref.dtype)
    ref_finite = torch.isfinite(r)
    out_finite = torch.isfinite(o)
    bad_nonfinite = ref_finite & ~out_finite
    if bool(bad_nonfinite.any()):
        first = int(bad_nonfinite.flatten().nonzero()[0])
        raise Failure("correctness", "non_finite", {
            "output": k, "count": int(bad_nonfinite.sum()), "index": _unravel(first, r.shape), "trial": trial})
    # Where the reference is NaN/Inf, the candidate must produce the same special value.
    special = ~ref_finite
    if bool(special.any()):
        same = (torch.isnan(r) & torch.isnan(o)) | (r == o)
        wrong = special & ~same
        if bool(wrong.any()):
            first = int(wrong.flatten().nonzero()[0])
            idx = _unravel(first, r.shape)
            raise Failure("correctness", "mismatch", {
                "output": k, "count": int(wrong.sum()), "numel": r.numel(), "atol": atol, "rtol": rtol,
                "index": idx, "got": float(o.flatten()[first]), "expected": float(r.flatten()[first]),
                "abs_err": float("inf"), "trial": trial})
    rf = torch.where(ref_finite, r, torch.zeros_like(r))
    of = torch.where(ref_finite, o, torch.zeros_like(o))
    abs_err = (of - rf).abs()
    rel_err = abs_err / rf.abs().clamp_min(1e-12)
    flat_worst = int(abs_err.flatten().argmax())
    result = Comparison(float(abs_err.max()), float(rel_err.max()), _unravel(flat_worst, r.shape), k, False)

    if is_degenerate(ref):
        result.degenerate = True
        scale = float(rf.abs().max())
        if scale == 0.0:
            scaled = abs_err
            tol = 0.0
            bad = scaled > tol
        else:
            scaled = abs_err / scale
            tol = atol
            bad = scaled > atol + rtol * (rf.abs() / scale)
        if bool(bad.any()):
            first = int((scaled * bad).flatten().argmax())
            raise Failure("correctness", "degenerate_mismatch", {
                "output": k, "scale": scale, "index": _unravel(first, r.shape),
                "got": float(o.flatten()[first]), "expected": float(r.flatten()[first]),
                "scaled_err": float(scaled.flatten()[first]), "tol": tol, "trial": trial})
        return result

    bad = abs_err > atol + rtol * rf.abs()
    if bool(bad.any()):
        # Report the element that misses its bound by the most.
        excess = (abs_err - (atol + rtol * rf.abs())) * bad
        first = int(excess.flatten().argmax())
        raise Failure("correctness", "mismatch", {
            "output": k, "count": int(bad.sum()), "numel": r.numel(), "atol": atol, "rtol": rtol,
            "index": _unravel(first, r.shape), "got": float(o.flatten()[first]),
            "expected": float(r.flatten()[first]), "abs_err": float(abs_err.flatten()[first]), "trial": trial,
            "max_abs_err": result.max_abs_err, "max_rel_err": result.max_rel_err,
            "worst_index": result.worst_index})
    return result


def _within_eager_error(ref: torch.Tensor, exact: torch.Tensor, out: torch.Tensor) -> bool:
    if exact.shape != ref.shape:
        return False
    atol, rtol = tolerance_for(ref.dtype)
    r, e, o = (t.detach().to("cpu", torch.float64) for t in (ref, exact, out))
    if not bool(torch.isfinite(e).all()) or not bool(torch.isfinite(o).all()):
        return False
    return bool(((o - e).abs() <= atol + rtol * e.abs() + (r - e).abs()).all())


def _compare_to_exact(ref: torch.Tensor, exact: torch.Tensor, out: torch.Tensor, k: int) -> Comparison:
    """Errors reported against the eager reference, for the record, once the exact check passed."""
    r = ref.detach().to("cpu", torch.float64)
    o = out.detach().to("cpu", torch.float64)
    abs_err = (o - r).abs()
    flat = int(abs_err.flatten().argmax())
    return Comparison(float(abs_err.max()), float((abs_err / r.abs().clamp_min(1e-12)).max()),
                      _unravel(flat, r.shape), k, False, judged_exact=True)
