"""``bench``: verify, then time the candidate against eager PyTorch and torch.compile (CUDA only)."""
from __future__ import annotations

import torch

from .failure import Failure
from .problem import parse_sets
from .verify import Verdict, VerifyOptions, verify


def run(args) -> dict:
    opts = VerifyOptions(
        problem=args.problem, candidate=args.candidate, device="cuda", trials=2, sets=parse_sets(args.sets),
        timeout_s=args.timeout, seed=args.seed,
        bench={"warmup": args.warmup, "iters": args.trials, "compile": not args.no_compile})
    if args.device == "cpu" or not torch.cuda.is_available():
        verdict = Verdict(opts)
        verdict.device = "cpu"
        return verdict.document(Failure("load", "no_gpu", {}))
    return verify(opts)


def summary(doc: dict) -> str:
    if not doc["ok"]:
        return f"REJECTED at {doc['stage']}: {doc['message']}"
    t = doc["timings"]
    rows = [("candidate (Triton)", t["candidate"]), ("PyTorch eager", t["eager"])]
    if t["compiled"]:
        rows.append(("torch.compile", t["compiled"]))
    lines = [f"{'implementation':<22}{'median ms':>12}{'mean ms':>12}"]
    lines += [f"{name:<22}{f['median']:>12.4f}{f['mean']:>12.4f}" for name, f in rows]
    lines.append(f"speed-up vs eager: {t['speedupVsEager']:.2f}x" +
                 (f", vs torch.compile: {t['speedupVsCompiled']:.2f}x" if t["speedupVsCompiled"] else
                  f", torch.compile failed: {t['compileError']}" if t["compileError"] else ""))
    lines.append(f"verified before and after timing ({len(doc['trials'])} trials), {t['trials']} timed iterations")
    return "\n".join(lines)
