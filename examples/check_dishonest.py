"""Lint the dishonest corpus's headers and smoke-run each file once at small sizes.

A developer script, not a verifier: it never decides a stage or code. It checks that each header is
well formed (problem exists, stages and codes are known), then runs each candidate's forward once in
its own subprocess on the problem's small inputs and prints what happened (raised, exited, timed out,
or returned; and whether the output matches the reference at the problem's tolerance), so a reader
can see each exploit does what its header says it does.

    TRITON_INTERPRET=1 $(bash scripts/python-env.sh) examples/check_dishonest.py [name-filter]
"""
import json
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DISHONEST = HERE / "dishonest"
PROBLEMS = HERE / "problems"
TIMEOUT_S = 45  # torch.compile (35) takes ~20 s on a small CPU; the spin (34) must be cut off

CODES = {
    "load": set(),
    "static": {"forbidden_import", "forbidden_call", "forbidden_attribute", "no_triton_kernel"},
    "compile": set(),
    "runtime": {"runtime_error", "worker_crashed"},
    "correctness": {"shape_mismatch", "dtype_mismatch", "output_count_mismatch", "mismatch",
                    "non_finite", "degenerate_mismatch"},
    "integrity": {"aten_compute_op", "dtype_cast", "no_launch", "input_mutated",
                  "output_aliases_input", "cached_output", "forbidden_operation", "side_stream"},
    "timeout": {"timeout"},
}
HEADER = re.compile(r"^# (problem|expect-stage|expect-code|exploit|gpu-only): (.+)$")

# Runs in the child: load problem (small sizes) and candidate, call forward once, describe the result.
CHILD = r'''
import json, sys, torch
sys.path.insert(0, sys.argv[1])
from check_solutions import load_module, import_file, as_tuple, TOLERANCE
from pathlib import Path
problem = load_module(Path(sys.argv[2]), json.loads(sys.argv[4]))
candidate = import_file(Path(sys.argv[3]))
torch.manual_seed(0)
init = problem.get_init_inputs()
torch.manual_seed(0); model = problem.Model(*init)
torch.manual_seed(0); model_new = candidate.ModelNew(*init)
torch.manual_seed(1); inputs = problem.get_inputs()
with torch.no_grad():
    expected = as_tuple(model(*[x.clone() for x in inputs]))
    actual = as_tuple(model_new(*inputs))
if len(actual) != len(expected):
    print(f"returned {len(actual)} output(s), reference has {len(expected)}"); sys.exit(0)
for e, a in zip(expected, actual):
    if a.shape != e.shape or a.dtype != e.dtype:
        print(f"returned {a.dtype} {tuple(a.shape)}, reference {e.dtype} {tuple(e.shape)}"); continue
    tol = TOLERANCE[e.dtype]
    close = torch.allclose(a, e, atol=tol, rtol=tol)
    finite = bool(torch.isfinite(a).all())
    print(f"returned {tuple(a.shape)}: {'matches' if close else 'differs from'} the reference"
          f"{'' if finite else ' (non-finite values)'}")
'''


def parse_header(path: Path) -> dict:
    fields = {}
    for line in path.read_text().splitlines():
        match = HEADER.match(line)
        if not match:
            break
        fields[match.group(1)] = match.group(2).strip()
    return fields


def lint(path: Path, fields: dict) -> list:
    problems = []
    for key in ("problem", "expect-stage", "expect-code", "exploit"):
        if key not in fields:
            problems.append(f"missing '# {key}:' header line")
    if problems:
        return problems
    if not (PROBLEMS / fields["problem"]).is_file():
        problems.append(f"problem {fields['problem']} not in examples/problems")
    stages = fields["expect-stage"].split("|")
    unknown = [s for s in stages if s not in CODES]
    if unknown:
        problems.append(f"unknown stage(s) {unknown}")
    allowed = set().union(*(CODES.get(s, set()) for s in stages))
    stray = [c for c in fields["expect-code"].split("|") if c not in allowed]
    if stray:
        problems.append(f"code(s) {stray} belong to none of the stages {stages}")
    if "gpu-only" in fields and fields["gpu-only"] != "true":
        problems.append("gpu-only must be 'true' when present")
    return problems


def main() -> int:
    name_filter = sys.argv[1] if len(sys.argv) > 1 else ""
    small = json.loads((PROBLEMS / "small.json").read_text())
    bad = 0
    for path in sorted(DISHONEST.glob("*.py")):
        if name_filter not in path.name:
            continue
        fields = parse_header(path)
        issues = lint(path, fields)
        if issues:
            bad += 1
            print(f"BAD  {path.name}: {'; '.join(issues)}")
            continue
        problem = PROBLEMS / fields["problem"]
        args = [sys.executable, "-c", CHILD, str(HERE), str(problem), str(path),
                json.dumps(small.get(problem.name, {}))]
        try:
            done = subprocess.run(args, capture_output=True, text=True, timeout=TIMEOUT_S)
            last = (done.stdout.strip() or done.stderr.strip() or "(no output)").splitlines()[-1]
            what = f"exit {done.returncode}: {last}"
        except subprocess.TimeoutExpired:
            what = f"still running after {TIMEOUT_S}s (killed)"
        expect = f"{fields['expect-stage']} / {fields['expect-code']}"
        gpu = " [gpu-only]" if fields.get("gpu-only") == "true" else ""
        print(f"{path.name}{gpu}\n    expects {expect}\n    {what}")
    if bad:
        print(f"{bad} file(s) with malformed headers")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
