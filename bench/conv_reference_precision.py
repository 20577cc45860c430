"""Which precision an eager fp32 convolution uses on this GPU: TF32 or exact fp32.

PyTorch lets cuDNN use TF32 for convolutions by default (`torch.backends.cudnn.allow_tf32`), but
cuDNN picks the algorithm, and not every algorithm it picks rounds to TF32. A kernel that must
match the eager reference has to know which one it gets. For each problem file whose name says
conv, this runs the model at the problem's own sizes with TF32 allowed and with it forbidden and
prints whether the two results are apart by more than sum-order noise (TF32) or not (the
algorithm is exact fp32 either way). One JSON line per problem goes to --out as it finishes.

    python bench/conv_reference_precision.py --kernelbench KernelBench/level1 [--only NAME] --out conv-precision.jsonl
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
from tritonize_harness.problem import load_problem  # noqa: E402


TF32_APART = 1e-5


def probe(path: str) -> dict:
    problem = load_problem(path)
    torch.manual_seed(0)
    model = problem.Model(*problem.get_init_inputs()).cuda().eval()
    torch.manual_seed(1)
    inputs = [x.cuda() if isinstance(x, torch.Tensor) else x for x in problem.get_inputs()]
    results = {}
    for tf32 in (True, False):
        torch.backends.cudnn.allow_tf32 = tf32
        with torch.no_grad():
            results[tf32] = model(*inputs)
    torch.backends.cudnn.allow_tf32 = True
    diff = (results[True] - results[False]).abs().max().item()
    # TF32 rounding moves results by 1e-4 and more at these sizes; two exact algorithms that sum in
    # different orders differ by about 1e-7
    return {"problem": os.path.basename(path), "tf32": diff > TF32_APART, "maxDiff": diff}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kernelbench", required=True, help="a level folder of KernelBench problem files")
    ap.add_argument("--only", action="append", default=[], help="a name prefix (repeatable)")
    ap.add_argument("--out", required=True, help="JSON lines, one per problem, appended as they finish")
    args = ap.parse_args()
    names = sorted(n for n in os.listdir(args.kernelbench) if "conv" in n.lower() and n.endswith(".py"))
    names = [n for n in names if not args.only or any(n.startswith(o) for o in args.only)]
    with open(args.out, "a", encoding="utf-8") as out:
        for name in names:
            try:
                row = probe(os.path.join(args.kernelbench, name))
            except Exception as exc:  # one problem's failure is reported and the rest still run
                row = {"problem": name, "error": f"{type(exc).__name__}: {exc}"[:300]}
            print(json.dumps(row), flush=True)
            out.write(json.dumps(row) + "\n")
            out.flush()
            torch.cuda.empty_cache()


if __name__ == "__main__":
    main()
