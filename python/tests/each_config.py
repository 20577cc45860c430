"""Runs a model_new.py once per configuration of each autotuned kernel, that configuration alone,
against the reference loaded as KernelBench's evaluation loads it (kernelbench_loader.check). Off the
GPU a module's autotuner keeps only the first configuration, so this is where the others are
checked on the CPU. Prints one JSON document: {"ok", "configs": [{"tile", "ok", "maxAbsErr", "error"}]}.

    TRITON_INTERPRET=1 python each_config.py --reference P --submission model_new.py
"""
from __future__ import annotations

import argparse
import json
import os
import re
import tempfile

from kernelbench_loader import check

AUTOTUNE = re.compile(r"@triton\.autotune\(configs=_\w+_configs\(\[(.*?)\]\)")
TILE = re.compile(r"\([^()]*\)")


def variants(source: str) -> list[tuple[str, str]]:
    """(tile, source with that autotuned kernel's list cut to the tile) for every kernel and tile."""
    out = []
    for m in AUTOTUNE.finditer(source):
        for tile in TILE.findall(m.group(1)):
            out.append((tile, source[:m.start(1)] + tile + source[m.end(1):]))
    return out


def run(reference: str, submission: str) -> dict:
    with open(submission, encoding="utf-8") as fh:
        cases = variants(fh.read())
    if not cases:
        return {"ok": False, "configs": [], "error": f"{submission}: no @triton.autotune kernel with a configuration list"}
    results = []
    for tile, source in cases:
        with tempfile.NamedTemporaryFile(mode="w", suffix=".py", delete=False) as fh:
            fh.write(source)
            path = fh.name
        try:
            doc = check(reference, path, trials=1)
        except Exception as e:  # a load or run failure is this configuration's answer
            doc = {"ok": False, "maxAbsErr": None, "error": f"{type(e).__name__}: {e}"}
        finally:
            os.remove(path)
        results.append({"tile": tile, "ok": doc["ok"], "maxAbsErr": doc["maxAbsErr"], "error": doc["error"]})
    return {"ok": all(r["ok"] for r in results), "configs": results, "error": None}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--reference", required=True)
    p.add_argument("--submission", required=True)
    a = p.parse_args()
    print(json.dumps(run(a.reference, a.submission)))


if __name__ == "__main__":
    main()
