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
            if f.code not in ("mismatch", "degenerate_mismatch") or exact is None:
                raise
            exact_outputs = exact()
            if exact_outputs is None:
                raise
            pieces = _exact_pieces(exact_outputs, k)
            if f.code == "degenerate_mismatch":
                if not is_rounding_noise_around_zero(r, pieces, o):
                    raise
                c = _compare_to_exact(r, o, k)
                c.degenerate = True
            elif not _within_eager_error(r, pieces, o):
                raise
            else:
                c = _compare_to_exact(r, o, k)
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


# Outputs are compared a slice at a time in float64: a 6 GB output must not need ten times that.
# A GPU takes larger slices (fewer launches and host round trips): a sixteenth of the output, at
# most GPU_CHUNK elements, so the scratch (a few float64 temporaries of one slice) stays small
# beside the output itself, large or small, in at most 16 slices below the cap.
CHUNK = 1 << 24
GPU_CHUNK = 1 << 25
GPU_MIN_CHUNK = 1 << 14


def chunk_size(device: torch.device, numel: int | None = None) -> int:
    if device.type != "cuda":
        return CHUNK
    if numel is None:
        return GPU_CHUNK
    return max(GPU_MIN_CHUNK, min(GPU_CHUNK, numel // 16))


def chunks(*tensors: torch.Tensor):
    """Slices of the flattened tensors in float64, on the first tensor's device (a GPU compares
    there, without copying whole outputs to the host)."""
    device = tensors[0].device
    step = chunk_size(device, tensors[0].numel())
    flat = [t.detach().reshape(-1) for t in tensors]
    n = flat[0].numel()
    for start in range(0, n, step):
        yield start, [f[start:start + step].to(device, torch.float64) for f in flat]


_chunks = chunks


class _Worst:
    """The element that misses its bound by the most, across slices."""

    def __init__(self) -> None:
        self.count = 0
        self.score = -1.0
        self.at = 0
        self.values: tuple[float, float, float] = (0.0, 0.0, 0.0)

    def add(self, bad: torch.Tensor, score, start: int, r, o, metric) -> None:
        """`score` is a tensor, or a function of (start, slice) made only when something is bad."""
        n = int(bad.sum())
        if not n:
            return
        self.count += n
        if callable(score):
            score = score(start, r)
        masked = torch.where(bad, score, torch.full_like(score, -1.0))
        i = int(masked.argmax())
        if float(masked[i]) > self.score:
            self.score = float(masked[i])
            self.at = start + i
            self.values = (float(o[i]), float(r[i]), float(metric[i]))


def _earliest_first(n: int):
    """Scores (all positive) where the earliest element over the whole output scores highest."""
    return lambda start, r: float(n) - (start + torch.arange(r.numel(), dtype=torch.float64, device=r.device))


def _compare_one(ref: torch.Tensor, out: torch.Tensor, k: int, trial: int) -> Comparison:
    n = ref.numel()
    if n == 0:
        return Comparison(0.0, 0.0, [], k, False)
    atol, rtol = tolerance_for(ref.dtype)
    shape = ref.shape

    # One pass: values that are not finite, the size of the errors and of the reference, and the
    # tolerance rule; a second pass only when the reference turns out degenerate (its own scale).
    nonfinite, special, worst = _Worst(), _Worst(), _Worst()
    earliest_first = _earliest_first(n)
    max_abs, max_abs_at, max_rel, scale, all_finite = -1.0, 0, 0.0, 0.0, True
    for start, (r, o) in _chunks(ref, out):
        ref_finite = torch.isfinite(r)
        nonfinite.add(ref_finite & ~torch.isfinite(o), earliest_first, start, r, o, r)
        rf, of = r, o
        if not bool(ref_finite.all()):
            all_finite = False
            # Where the reference is NaN/Inf, the candidate must produce the same special value.
            same = (torch.isnan(r) & torch.isnan(o)) | (r == o)
            special.add(~ref_finite & ~same, earliest_first, start, r, o, r)
            rf = torch.where(ref_finite, r, torch.zeros_like(r))
            of = torch.where(ref_finite, o, torch.zeros_like(o))
        err = (of - rf).abs_()
        del of
        top, i = err.max(0)
        if float(top) > max_abs:
            max_abs, max_abs_at = float(top), start + int(i)
        magnitude = rf.abs()
        del rf
        max_rel = max(max_rel, float((err / magnitude.clamp_min(1e-12)).max()))
        scale = max(scale, float(magnitude.max()))
        bound = magnitude.mul_(rtol).add_(atol)  # atol + rtol * |ref|, in the magnitude's memory
        worst.add(err > bound, lambda _start, _r: err - bound, start, r, o, err)
        del err, bound, magnitude
    if nonfinite.count:
        raise Failure("correctness", "non_finite", {
            "output": k, "count": nonfinite.count, "index": _unravel(nonfinite.at, shape), "trial": trial})
    if special.count:
        got, expected, _ = special.values
        raise Failure("correctness", "mismatch", {
            "output": k, "count": special.count, "numel": n, "atol": atol, "rtol": rtol,
            "index": _unravel(special.at, shape), "got": got, "expected": expected,
            "abs_err": float("inf"), "trial": trial})
    result = Comparison(max_abs, max_rel, _unravel(max_abs_at, shape), k, False)
    degenerate = ref.is_floating_point() and all_finite and scale <= atol

    if degenerate:  # the tolerance rule again, on the reference's own scale
        worst = _Worst()
        for start, (r, o) in _chunks(ref, out):
            err = (o - r).abs()
            if scale == 0.0:
                worst.add(err > 0.0, err, start, r, o, err)
            else:
                scaled = err / scale
                worst.add(scaled > atol + rtol * (r.abs() / scale), scaled, start, r, o, scaled)
    if worst.count:
        got, expected, metric = worst.values
        if degenerate:
            raise Failure("correctness", "degenerate_mismatch", {
                "output": k, "scale": scale, "index": _unravel(worst.at, shape), "got": got,
                "expected": expected, "scaled_err": metric, "tol": 0.0 if scale == 0.0 else atol,
                "trial": trial})
        raise Failure("correctness", "mismatch", {
            "output": k, "count": worst.count, "numel": n, "atol": atol, "rtol": rtol,
            "index": _unravel(worst.at, shape), "got": got, "expected": expected, "abs_err": metric,
            "trial": trial, "max_abs_err": result.max_abs_err, "max_rel_err": result.max_rel_err,
            "worst_index": result.worst_index})
    result.degenerate = degenerate
    return result


def _exact_pieces(exact_outputs, k: int):
    """(rows, float64 reference on those rows) pieces of output k: the whole output from a list of
    outputs, or the slices an ExactReference (references.py) computes one at a time."""
    if hasattr(exact_outputs, "slices"):
        return exact_outputs.slices(k)
    return [(None, exact_outputs[k])]


def _within_eager_error(ref: torch.Tensor, pieces, out: torch.Tensor) -> bool:
    """Every element is within tolerance of the exact result, widened by eager's own error there."""
    atol, rtol = tolerance_for(ref.dtype)
    covered = 0
    for rows, exact in pieces:
        r, o = (ref, out) if rows is None else (ref[rows], out[rows])
        if exact.shape != r.shape:
            return False
        covered += r.numel()
        for _, (rr, e, oo) in chunks(r, exact, o):
            if not bool(torch.isfinite(e).all()) or not bool(torch.isfinite(oo).all()):
                return False
            if not bool(((oo - e).abs() <= atol + rtol * e.abs() + (rr - e).abs()).all()):
                return False
    return covered == ref.numel()


# Near-zero outputs: how many times eager's own rounding a candidate's may be, around an exact zero.
NOISE_FACTOR = 8.0


def is_rounding_noise_around_zero(ref: torch.Tensor, pieces, out: torch.Tensor) -> bool:
    """Whether a degenerate output is zero at the scale of its computation, and the candidate's
    matches it at that scale.

    Eager's distance from the float64 result, |ref - exact|, is its rounding: about eps times the
    magnitudes it summed, i.e. the scale of the computation. When every exact value lies within
    NOISE_FACTOR times that rounding, the output is rounding noise around zero, and the candidate
    passes when it is no further from the exact result. A small but real output (1e-5 where the
    rounding is 1e-12) is not noise, and stays judged on its own scale."""
    noise = exact_max = err_max = 0.0
    covered = 0
    for rows, exact in pieces:
        r0, o0 = (ref, out) if rows is None else (ref[rows], out[rows])
        if exact.shape != r0.shape:
            return False
        covered += r0.numel()
        for _, (r, e, o) in chunks(r0, exact, o0):
            if not bool(torch.isfinite(e).all()) or not bool(torch.isfinite(o).all()):
                return False
            noise = max(noise, float((r - e).abs().max()))
            exact_max = max(exact_max, float(e.abs().max()))
            err_max = max(err_max, float((o - e).abs().max()))
    if covered != ref.numel():
        return False
    bound = NOISE_FACTOR * noise
    return exact_max <= bound and err_max <= bound


def _compare_to_exact(ref: torch.Tensor, out: torch.Tensor, k: int) -> Comparison:
    """Errors reported against the eager reference, for the record, once the exact check passed."""
    max_abs, at, max_rel = -1.0, 0, 0.0
    for start, (r, o) in _chunks(ref, out):
        err = (o - r).abs()
        i = int(err.argmax())
        if float(err[i]) > max_abs:
            max_abs, at = float(err[i]), start + i
        max_rel = max(max_rel, float((err / r.abs().clamp_min(1e-12)).max()))
    return Comparison(max_abs, max_rel, _unravel(at, ref.shape), k, False, judged_exact=True)
