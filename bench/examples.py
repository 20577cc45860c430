"""Benchmark: verify and time every example solution at its default (benchmark) size on a GPU.

Not a test: it prints a table. Run on a CUDA host with only Python, PyTorch and Triton:
    python3 bench/examples.py [--iters 100] [--only 05_linear_relu.py]
"""
from __future__ import annotations

import argparse
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "python"))

from tritonize_harness.verify import VerifyOptions, verify  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--iters", type=int, default=100)
    parser.add_argument("--only", action="append", default=[])
    parser.add_argument("--json-out")
    args = parser.parse_args()
    problems = sorted(n for n in os.listdir(os.path.join(ROOT, "examples", "problems")) if n.endswith(".py"))
    rows = []
    for name in problems:
        if args.only and name not in args.only:
            continue
        doc = verify(VerifyOptions(
            problem=os.path.join(ROOT, "examples", "problems", name),
            candidate=os.path.join(ROOT, "examples", "solutions", name),
            device="cuda", trials=2, timeout_s=300,
            bench={"warmup": 10, "iters": args.iters, "compile": True}))
        rows.append((name, doc))
        t = doc.get("timings")
        if doc["ok"] and t:
            print(f"{name:<24} ok  triton {t['candidate']['median']:.4f} ms  eager {t['eager']['median']:.4f} ms  "
                  f"compile {t['compiled']['median'] if t['compiled'] else float('nan'):.4f} ms", flush=True)
        else:
            print(f"{name:<24} FAILED {doc['stage']}/{doc['code']}: {doc['message']}", flush=True)
    print()
    print(f"{'problem':<24}{'verdict':>9}{'triton ms':>11}{'eager ms':>10}{'compile ms':>12}{'vs eager':>10}{'vs compile':>12}")
    for name, doc in rows:
        t = doc.get("timings")
        if not (doc["ok"] and t):
            print(f"{name:<24}{'FAIL':>9}")
            continue
        c = t["compiled"]
        print(f"{name:<24}{'ok':>9}{t['candidate']['median']:>11.4f}{t['eager']['median']:>10.4f}"
              f"{(c['median'] if c else float('nan')):>12.4f}{t['speedupVsEager']:>9.2f}x"
              f"{(t['speedupVsCompiled'] or float('nan')):>11.2f}x")
    if args.json_out:
        with open(args.json_out, "w") as fh:
            json.dump({n: d for n, d in rows}, fh, indent=1)
    return 0 if all(d["ok"] for _, d in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
