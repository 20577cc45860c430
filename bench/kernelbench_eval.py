"""KernelBench's own evaluation of produced model_new.py files (GPU only).

Runs `eval_kernel_against_ref` (backend "triton") from a local copy of KernelBench's source on each
(problem, model_new.py) pair of a manifest and writes one JSON line per pair as it finishes, so a
run cut off by a time limit still leaves its results.

    python3 bench/kernelbench_eval.py --kernelbench SRC_DIR (--manifest pairs.json | --runs RUNS_DIR ...)
        --out results.jsonl [--trials 5] [--perf] [--skip-done] [--list]

pairs.json: [{"name": "23_Softmax", "problem": "path/problem.py", "candidate": "path/model_new.py"}, ...]
RUNS_DIR: a folder of `tritonize run` run directories (`.tritonize/runs`, or the `runs/` folder that
bench/kernelbench-run.ts writes): each verified run's summary.json names its problem and its
model_new.py. A run verified under `--set` overrides is left out (KernelBench evaluates the
problem file as written, at other sizes than the ones its model_new.py was verified at), and says so.
SRC_DIR: KernelBench's `src` folder (the one holding `kernelbench/eval.py`).

KernelBench's helper module imports model-client and progress libraries (openai, litellm, dotenv,
tqdm, requests) at import time for its generation scripts; evaluation never calls them, so where
they are not installed they are replaced by empty modules before the import. Where pydantic is
missing, its BaseModel (the result record's base) is replaced by a plain record of fields.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import types
from pathlib import Path


class _Record:
    """Stands in for pydantic's BaseModel where pydantic is not installed: KernelExecResult is only
    a record of fields with class defaults, read back by attribute."""

    def __init__(self, **fields):
        for k, v in fields.items():
            setattr(self, k, v)


def stub_generation_clients() -> None:
    for name, attrs in {"dotenv": {"load_dotenv": lambda *a, **k: None}, "openai": {"OpenAI": object},
                        "litellm": {"completion": None}, "tqdm": {"tqdm": lambda it=None, *a, **k: it},
                        "requests": {}, "pydantic": {"BaseModel": _Record}}.items():
        try:
            __import__(name)
        except ImportError:
            mod = types.ModuleType(name)
            for k, v in attrs.items():
                setattr(mod, k, v)
            sys.modules[name] = mod


def pairs_from_runs(folders: list[str]) -> list[dict]:
    """(name, problem, candidate) of every verified run under the folders, newest run per problem."""
    latest: dict[str, dict] = {}
    for folder in folders:
        for summary in sorted(Path(folder).glob("*/summary.json")):
            doc = json.loads(summary.read_text())
            name = Path(doc["problem"]).stem
            if not doc.get("ok") or not doc.get("modelNew"):
                continue
            if doc.get("sets"):
                print(f"skipped {name}: verified under --set {doc['sets']}, not at the problem's own sizes", file=sys.stderr)
                continue
            latest[name] = {"name": name, "problem": doc["problem"], "candidate": doc["modelNew"], "route": doc.get("route")}
    return sorted(latest.values(), key=lambda p: (int(p["name"].split("_")[0]) if p["name"].split("_")[0].isdigit() else 0, p["name"]))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kernelbench", required=True, help="KernelBench's src folder")
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--manifest")
    src.add_argument("--runs", nargs="+", help="folders of tritonize run directories")
    ap.add_argument("--out", required=True, help="JSON lines, appended as each pair finishes")
    ap.add_argument("--trials", type=int, default=5)
    ap.add_argument("--perf", action="store_true", help="also time with KernelBench's timing")
    ap.add_argument("--skip-done", action="store_true", help="skip names already in --out")
    ap.add_argument("--list", action="store_true", help="print the pairs as a manifest and evaluate nothing")
    a = ap.parse_args()

    pairs = json.loads(Path(a.manifest).read_text()) if a.manifest else pairs_from_runs(a.runs)
    if a.list:
        print(json.dumps(pairs, indent=2))
        return 0
    stub_generation_clients()
    sys.path.insert(0, a.kernelbench)
    from kernelbench.eval import eval_kernel_against_ref  # noqa: E402

    out = Path(a.out)
    done = set()
    if a.skip_done and out.exists():
        done = {json.loads(l)["name"] for l in out.read_text().splitlines() if l.strip()}
    for p in pairs:
        if p["name"] in done:
            continue
        t0 = time.time()
        row = {"name": p["name"], "route": p.get("route")}
        try:
            r = eval_kernel_against_ref(
                Path(p["problem"]).read_text(), Path(p["candidate"]).read_text(),
                num_correct_trials=a.trials, measure_performance=a.perf, backend="triton",
                check_for_excessive_speedup=False,
            )
            if r is None:
                raise RuntimeError("eval_kernel_against_ref returned no result (its own lock or build failure)")
            row.update({"compiled": bool(r.compiled), "correctness": bool(r.correctness),
                        "runtime_ms": r.runtime, "metadata": {k: str(v)[:300] for k, v in (r.metadata or {}).items()}})
        except Exception as e:  # one pair's failure must not stop the others; it is recorded
            row.update({"compiled": False, "correctness": False, "error": f"{type(e).__name__}: {str(e)[:300]}"})
        row["seconds"] = round(time.time() - t0, 1)
        with out.open("a") as f:
            f.write(json.dumps(row) + "\n")
        print(json.dumps(row), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
