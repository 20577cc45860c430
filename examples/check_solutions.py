"""Check every honest solution against its problem at the small sizes in problems/small.json.

A standalone developer script, not the product's verifier. For each problem with a solution of the
same name: re-execute the problem module with its size constants overridden (so derived constants
follow), build Model and ModelNew under one seed, run both on the same inputs and compare with
torch.testing.assert_close (fp32: atol=rtol=1e-4; fp16/bf16: 1e-2), over three seeds.

Run on CPU through Triton's interpreter:
    TRITON_INTERPRET=1 $(bash scripts/python-env.sh) examples/check_solutions.py [name-filter]
On a GPU host, without TRITON_INTERPRET, add --device cuda (and --default-sizes to keep the module's
own sizes instead of small.json).
"""
import argparse
import ast
import importlib.util
import json
import sys
import time
import types
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
PROBLEMS = HERE / "problems"
SOLUTIONS = HERE / "solutions"
TOLERANCE = {torch.float32: 1e-4, torch.float16: 1e-2, torch.bfloat16: 1e-2}


def load_module(path: Path, overrides: dict) -> types.ModuleType:
    """Execute a module's source with the named top-level assignments replaced by new values."""
    tree = ast.parse(path.read_text(), filename=str(path))
    unused = set(overrides)
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name) and target.id in overrides:
                node.value = ast.copy_location(ast.Constant(overrides[target.id]), node.value)
                unused.discard(target.id)
    if unused:
        raise SystemExit(f"{path.name}: no top-level assignment to {sorted(unused)} to override")
    module = types.ModuleType(path.stem)
    module.__file__ = str(path)
    exec(compile(tree, str(path), "exec"), module.__dict__)
    return module


def import_file(path: Path) -> types.ModuleType:
    """Import a file as a fresh module (Triton's jit reads kernel source from the real file)."""
    spec = importlib.util.spec_from_file_location(f"solution_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def as_tuple(out):
    return tuple(out) if isinstance(out, (tuple, list)) else (out,)


def check_pair(name: str, overrides: dict, device: str, seeds) -> str:
    problem = load_module(PROBLEMS / name, overrides)
    solution = import_file(SOLUTIONS / name)
    for seed in seeds:
        torch.manual_seed(seed)
        init = problem.get_init_inputs()
        torch.manual_seed(seed)
        model = problem.Model(*init).to(device)
        torch.manual_seed(seed)
        model_new = solution.ModelNew(*init).to(device)
        for (pn, p), (qn, q) in zip(model.named_parameters(), model_new.named_parameters()):
            if pn != qn or not torch.equal(p, q):
                raise AssertionError(f"parameter {pn} / {qn} differs between Model and ModelNew")
        torch.manual_seed(seed + 1000)
        # Move each input keeping its strides (a transposed input stays transposed).
        inputs = [
            x.to(device) if not isinstance(x, torch.Tensor)
            else torch.empty_strided(x.shape, x.stride(), dtype=x.dtype, device=device).copy_(x)
            for x in problem.get_inputs()
        ]
        originals = [x.clone() for x in inputs if isinstance(x, torch.Tensor)]
        with torch.no_grad():
            expected = as_tuple(model(*inputs))
            actual = as_tuple(model_new(*inputs))
        for before, after in zip(originals, [x for x in inputs if isinstance(x, torch.Tensor)]):
            if not torch.equal(before, after):
                raise AssertionError("ModelNew modified its input")
        if len(expected) != len(actual):
            raise AssertionError(f"{len(actual)} outputs, expected {len(expected)}")
        for i, (e, a) in enumerate(zip(expected, actual)):
            tol = TOLERANCE[e.dtype]
            torch.testing.assert_close(a, e, atol=tol, rtol=tol, msg=lambda m: f"output {i}, seed {seed}: {m}")
    shapes = ", ".join("x".join(map(str, x.shape)) + ("(non-contiguous)" if not x.is_contiguous() else "")
                       for x in inputs if isinstance(x, torch.Tensor))
    return shapes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("filter", nargs="?", default="", help="only problems whose name contains this")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--default-sizes", action="store_true", help="ignore small.json")
    args = parser.parse_args()
    small = json.loads((PROBLEMS / "small.json").read_text())
    names = sorted(p.name for p in SOLUTIONS.glob("*.py") if args.filter in p.name)
    if not names:
        print(f"no solutions match {args.filter!r}", file=sys.stderr)
        return 1
    failures = 0
    for name in names:
        if name not in small and not args.default_sizes:
            print(f"FAIL {name}: no small sizes in problems/small.json")
            failures += 1
            continue
        overrides = {} if args.default_sizes else small[name]
        start = time.perf_counter()
        try:
            shapes = check_pair(name, overrides, args.device, seeds=(0, 1, 2))
        except Exception as exc:  # report every pair, then fail at the end
            print(f"FAIL {name}: {type(exc).__name__}: {exc}")
            failures += 1
            continue
        print(f"ok   {name}  [{shapes}]  {time.perf_counter() - start:.1f}s")
    print(f"{len(names) - failures}/{len(names)} solutions match their problems")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
