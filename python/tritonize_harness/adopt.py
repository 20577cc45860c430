"""Adopting a fused module written elsewhere (a model's rewrite of a problem the deterministic fuser
does not cut): its region methods are read off its own forward, then observed, compared with the
original and captured exactly as the deterministic fuser's are (`regions.plan_document`).

The convention is the deterministic fuser's: class Model keeps the problem's __init__; forward
holds the Python structure (control flow, `with`, `try`, ...) and calls one method per straight-line
region, each called from one place with forward's own names:

    x, = self._tz_r1(x)            # a block: its results unpacked from the tuple it returns
    if self._tz_c2(x): ...         # a tensor condition: returns a 0-d bool tensor
    return self._tz_r3(x, y)       # a computed return value

    python -m tritonize_harness regions --problem P --fused F --out DIR
"""
from __future__ import annotations

import ast
import os
import re
from typing import Any

import torch
from torch.utils._python_dispatch import TorchDispatchMode

from .capture import VIEW_OPS
from .problem import load_problem
from .regions import Region, Unhandled, _forward, _load_fused, _model_class, _write, apply_sets, build, plan_document, \
    trial_inputs, trial_seeds

REGION_METHOD = re.compile(r"^_tz_([rc]\d+)$")


class SiteRegion(Region):
    """A region of an adopted module: its lines are its call site's in forward (where forward's
    names are read), its statements the method's body."""

    site: ast.AST

    @property
    def line(self) -> int:
        return self.site.lineno  # type: ignore[attr-defined]

    @property
    def end_line(self) -> int:
        return self.site.end_lineno  # type: ignore[attr-defined]


def _parents(root: ast.AST) -> dict[ast.AST, ast.AST]:
    return {child: node for node in ast.walk(root) for child in ast.iter_child_nodes(node)}


def _label(parent: ast.AST, child: ast.AST) -> str | None:
    """Where `child` sits in the compound statement `parent`, as the deterministic fuser names it."""
    line = parent.lineno  # type: ignore[attr-defined]
    if isinstance(parent, ast.If):
        return f"if@{line}:then" if child in parent.body else f"if@{line}:else" if child in parent.orelse else None
    if isinstance(parent, (ast.For, ast.While)) and child in parent.body:
        return f"{'for' if isinstance(parent, ast.For) else 'while'}@{line}"
    if isinstance(parent, ast.With) and child in parent.body:
        return f"with@{line}"
    if isinstance(parent, ast.Try):
        return f"try@{line}" if child in parent.body else f"try@{line}:else" if child in parent.orelse else \
            f"finally@{line}" if child in parent.finalbody else None
    if isinstance(parent, ast.ExceptHandler):
        return f"except@{line}"
    return None


def _branch(node: ast.AST, parents: dict[ast.AST, ast.AST], fwd: ast.FunctionDef) -> str:
    parts = []
    child, parent = node, parents.get(node)
    while parent is not None and parent is not fwd:
        label = _label(parent, child)
        if label:
            parts.append(label)
        child, parent = parent, parents.get(parent)
    return "/".join(reversed(parts))


def _params(m: ast.FunctionDef) -> list[str]:
    a = m.args
    if a.vararg or a.kwarg or a.kwonlyargs or a.defaults or a.posonlyargs or not a.args or a.args[0].arg != "self":
        raise Unhandled(f"method {m.name}", m.lineno, "a region method takes self and positional parameters only, without defaults")
    return [p.arg for p in a.args[1:]]


def _site_kind(name: str, call: ast.Call, parents: dict[ast.AST, ast.AST]) -> tuple[str, ast.AST, list[str]]:
    """(kind, the statement or test holding the call, the names it binds)."""
    parent = parents.get(call)
    if name.startswith("_tz_c"):
        return "cond", call, []
    if isinstance(parent, ast.Return):
        return "return", parent, []
    if isinstance(parent, ast.Assign) and len(parent.targets) == 1:
        target = parent.targets[0]
        if isinstance(target, ast.Tuple) and target.elts and all(isinstance(e, ast.Name) for e in target.elts):
            return "block", parent, [e.id for e in target.elts]  # type: ignore[attr-defined]
    raise Unhandled(f"call of {name}", call.lineno,
                    f"a block region's call unpacks the tuple it returns (`x, = self.{name}(...)`) or is returned (`return self.{name}(...)`)")


def read_regions(source: str) -> tuple[ast.FunctionDef, list[Region]]:
    """forward and the region methods it calls, checked against the convention."""
    try:
        tree = ast.parse(source)
    except SyntaxError as e:
        raise Unhandled("fused.py", e.lineno, f"it does not parse: {e.msg}") from e
    cls = _model_class(tree)
    fwd = _forward(cls)
    methods = {n.name: n for n in cls.body if isinstance(n, ast.FunctionDef) and REGION_METHOD.match(n.name)}
    if not methods:
        raise Unhandled("fused.py", cls.lineno, "class Model defines no region method (_tz_r1, _tz_c2, ...)")
    parents = _parents(fwd)
    sites: dict[str, list[ast.Call]] = {name: [] for name in methods}
    for node in ast.walk(fwd):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name) \
                and node.func.value.id == "self" and node.func.attr.startswith("_tz_"):
            if node.func.attr not in methods:
                raise Unhandled(f"call of {node.func.attr}", node.lineno, "forward calls a region method that class Model does not define")
            sites[node.func.attr].append(node)
    regions: list[Region] = []
    for name, method in methods.items():
        calls = sites[name]
        if len(calls) != 1:
            raise Unhandled(f"method {name}", method.lineno, f"forward calls it {len(calls)} times; each region method is called from one place")
        call = calls[0]
        params = _params(method)
        args = [a.id if isinstance(a, ast.Name) else None for a in call.args]
        if call.keywords or args != params:
            raise Unhandled(f"call of {name}", call.lineno,
                            f"pass forward's own names, the method's parameters in order: self.{name}({', '.join(params)})")
        kind, site, outs = _site_kind(name, call, parents)
        r = SiteRegion(REGION_METHOD.match(name).group(1), kind, list(method.body), None,  # type: ignore[union-attr]
                       _branch(site, parents, fwd), params, outs)
        r.site = site
        regions.append(r)
    regions.sort(key=lambda r: (r.line, r.id))
    return fwd, regions


STRUCTURE = (ast.If, ast.For, ast.While, ast.With, ast.Try, ast.Break, ast.Continue, ast.Return, ast.Raise)


def structure(fn: ast.FunctionDef) -> list[tuple[int, str, int]]:
    """forward's control flow: each compound or jump statement as (depth, kind, line), in order."""
    out: list[tuple[int, str, int]] = []

    def walk(body: list[ast.stmt], depth: int) -> None:
        for s in body:
            if isinstance(s, STRUCTURE):
                out.append((depth, type(s).__name__, s.lineno))
            for part in ("body", "orelse", "finalbody"):
                walk(getattr(s, part, []), depth + 1)
            for h in getattr(s, "handlers", []):
                walk(h.body, depth + 1)

    walk(fn.body, 0)
    return out


def same_structure(problem_fn: ast.FunctionDef, fused_fn: ast.FunctionDef) -> None:
    """The rewrite keeps forward's control flow as written: the same statements, nested the same way."""
    want, got = structure(problem_fn), structure(fused_fn)
    for i in range(max(len(want), len(got))):
        w = want[i] if i < len(want) else None
        g = got[i] if i < len(got) else None
        if w is None or g is None or w[:2] != g[:2]:
            expected = f"{w[1]} (problem line {w[2]}, depth {w[0]})" if w else "nothing more"
            found = f"{g[1]} (depth {g[0]})" if g else "nothing more"
            raise Unhandled("Model.forward", g[2] if g else fused_fn.lineno,
                            f"its control flow is not the problem's: expected {expected}, found {found}; keep forward's structure as written")


def adopt(problem_path: str, sets: dict[str, str], fused_source_path: str, out_dir: str, trials: int = 5, seed: int = 42,
          explore: int = 16, device: str = "cpu") -> dict[str, Any]:
    problem = load_problem(problem_path, sets, module_name="tritonize_regions_problem")
    with open(fused_source_path, encoding="utf-8") as fh:
        source = fh.read()
    fwd, regions = read_regions(source)
    same_structure(_forward(_model_class(ast.parse(problem.source))), fwd)
    os.makedirs(os.path.join(out_dir, "subgraphs"), exist_ok=True)
    fused_path = os.path.join(out_dir, "fused.py")
    _write(fused_path, apply_sets(source, sets))
    outside = compute_outside(fused_path, problem, [r.id for r in regions], seed, device)
    if outside:
        raise Unhandled("Model.forward", fwd.lineno, f"it computes outside its region methods ({', '.join(outside)}); "
                        "move every tensor operation into a _tz_r*/_tz_c* method, since forward's own code is kept as Python")
    doc = plan_document(fused_path, problem, problem_path, regions, trials, seed, explore, device, forward=fwd)
    return {**doc, "fusedBy": "model"}


# reading a condition back to Python (`if flag:`) and allocating are what forward itself may do
PYTHON_SIDE = VIEW_OPS | {"_local_scalar_dense", "is_nonzero", "item", "empty", "empty_like", "zeros", "zeros_like", "full"}


class _Outside(TorchDispatchMode):
    """Records the compute ops dispatched while no region method is running."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.ops: set[str] = set()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # type: ignore[no-untyped-def]
        name = func._overloadpacket.__name__
        if self.depth == 0 and name not in PYTHON_SIDE:
            self.ops.add(name)
        return func(*args, **(kwargs or {}))


def compute_outside(fused_path: str, problem: Any, region_ids: list[str], seed: int, device: str) -> list[str]:
    """The compute ops forward runs outside its region methods, on the verifier's first trial."""
    cls = _load_fused(fused_path, "tritonize_fused_outside").Model
    mode = _Outside()
    for rid in region_ids:
        def inside(self, *args, _orig=getattr(cls, f"_tz_{rid}")):  # type: ignore[no-untyped-def]
            mode.depth += 1
            try:
                return _orig(self, *args)
            finally:
                mode.depth -= 1

        setattr(cls, f"_tz_{rid}", inside)
    model = build(cls, problem, seed, device)
    inputs = trial_inputs(problem, trial_seeds(seed, 1)[0], device)
    with torch.no_grad(), mode:
        model(*inputs)
    return sorted(mode.ops)
