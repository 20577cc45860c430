"""The example problems, their honest solutions and the dishonest corpus, read from examples/."""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLES = os.path.join(ROOT, "examples")
PROBLEMS = os.path.join(EXAMPLES, "problems")
SMALL = json.load(open(os.path.join(PROBLEMS, "small.json")))


def small_sets(problem: str) -> dict[str, str]:
    return {k: str(v) for k, v in SMALL.get(problem, {}).items()}


def honest_pairs() -> list[tuple[str, str]]:
    names = sorted(n for n in os.listdir(PROBLEMS) if n.endswith(".py"))
    return [(n, os.path.join(EXAMPLES, "solutions", n)) for n in names]


def honest_examples() -> list[tuple[str, str]]:
    """(problem, candidate) for each file in examples/honest/: honest code in styles the solutions
    do not use (everyday Python, libdevice imports, kernels from an installed library)."""
    folder = os.path.join(EXAMPLES, "honest")
    out = []
    for name in sorted(os.listdir(folder)):
        if name.endswith(".py"):
            path = os.path.join(folder, name)
            header = dict(re.findall(r"^# ([\w-]+): (.*)$", open(path).read(), re.M))
            out.append((header["problem"].strip(), path))
    return out


@dataclass
class Dishonest:
    path: str
    problem: str
    stages: list[str]
    codes: list[str]
    exploit: str
    gpu_only: bool

    @property
    def name(self) -> str:
        return os.path.basename(self.path)


def dishonest() -> list[Dishonest]:
    folder = os.path.join(EXAMPLES, "dishonest")
    out = []
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".py"):
            continue
        path = os.path.join(folder, name)
        header = dict(re.findall(r"^# ([\w-]+): (.*)$", open(path).read(), re.M))
        out.append(Dishonest(path, header["problem"].strip(), header["expect-stage"].strip().split("|"),
                             header["expect-code"].strip().split("|"), header.get("exploit", ""),
                             header.get("gpu-only", "").strip() == "true"))
    return out
