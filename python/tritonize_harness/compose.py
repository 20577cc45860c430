"""The deterministic composer: the fused module's structure calling the verified kernels.

`composed.py` is the problem's own source with class Model renamed ModelNew (so `__init__` is the
problem's: the same parameters in the same order under the same seed), forward's regions replaced
by calls of `_tz_*` methods exactly as in `fused.py`, and each method's body launching the verified
kernel of its subgraph with the region's tensors and weights (`self.fc.weight`, `blk.fc.weight`).
Each kernel file is embedded with its top-level names prefixed by its subgraph id, so the result is
one self-contained module importing only torch and triton.

    python -m tritonize_harness compose --plan regions.json --kernels kernels.json --out composed.py
"""
from __future__ import annotations

import ast
import json
import textwrap
from typing import Any

from .fold import FOLD_HELPERS
from .problem import parse_sets
from .regions import Region, Unhandled, _forward, _model_class, _offsets, _rename_model, apply_sets, region_source, rewrite

SCHEMA = "tritonize.composed/1"

HEADER = ("# Composed by tritonize from {name}: ModelNew keeps Model's __init__ and forward's control flow;\n"
          "# each region of forward launches the verified Triton kernel of its subgraph.\n")


class _Prefix(ast.NodeTransformer):
    def __init__(self, names: set[str], prefix: str) -> None:
        self.names, self.prefix = names, prefix

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id in self.names:
            node.id = self.prefix + node.id
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        if node.name in self.names:
            node.name = self.prefix + node.name
        self.generic_visit(node)
        return node

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:
        if node.name in self.names:
            node.name = self.prefix + node.name
        self.generic_visit(node)
        return node


def embed_kernel(source: str, prefix: str) -> tuple[list[str], str]:
    """(import lines, the module's other statements with its top-level names prefixed)."""
    tree = ast.parse(source)
    imports, rest, names = [], [], set()
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            imports.append(ast.unparse(node))
            continue
        rest.append(node)
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    body = ast.Module(body=rest, type_ignores=[])
    _Prefix(names, prefix).visit(body)
    if f"{prefix}ModelNew" not in {n.name for n in rest if isinstance(n, ast.ClassDef)}:
        raise Unhandled("kernel file", None, f"the kernel for {prefix.strip('_')} defines no ModelNew")
    return imports, ast.unparse(body)


def _kernel_call(sid: str, region: dict[str, Any], weights: list[str]) -> str:
    """The kernel's arguments: the region's tensor inputs in order, then its weights."""
    modules = {n for i in region["instances"] for n in i["modules"]}
    tensors = [n for n in region["liveIn"] if n not in modules and n not in region.get("pythonArgs", [])]
    return f"_{sid}_run({', '.join([*tensors, *weights])})"


def method_body(region: dict[str, Any], source: str, starts: list[int], r: Any) -> str:
    """What a region's method does in composed.py."""
    inst = region["instances"]
    where = f"region {region['id']} (line {region['line']}, {region['branch'] or 'forward'})"
    if not inst:
        return f"raise RuntimeError(\"{where} never ran while the model was observed, so no kernel was verified for it\")"
    if all(i["inline"] for i in inst):
        return region_source(source, starts, r)  # views only: nothing to compute
    if any(i["inline"] for i in inst) or len({i["structure"] for i in inst}) != 1:
        raise Unhandled(f"region {region['id']}", region["line"], "its calls differ in what they compute or return")
    variants = {(i["subgraph"], tuple(i["weights"])): i for i in inst}
    if len(variants) == 1:
        return _launch(region, inst[0])
    # calls that capture to different subgraphs (blocks of different sizes): each launches its own
    # kernel, told apart by the region's Python values and tensor shapes (metadata only)
    guards = [_guard_text(i["guard"]) for i in variants.values()]
    if len(set(guards)) != len(guards) or "" in guards:
        raise Unhandled(f"region {region['id']}", region["line"],
                        f"its {len(variants)} different subgraphs cannot be told apart by Python values or shapes")
    lines = []
    for g, i in zip(guards, variants.values()):
        lines += [f"if {g}:", "    " + _launch(region, i)]
    lines.append(f"raise RuntimeError(\"{where}: no verified kernel for this call's values and shapes\")")
    return "\n".join(lines)


def _guard_text(guard: dict[str, Any]) -> str:
    parts = [f"{n} == {v}" for n, v in sorted(guard["python"].items())]
    parts += [f"tuple({n}.shape) == {tuple(s)!r}" for n, s in sorted(guard["shapes"].items())]
    return " and ".join(parts)


def _launch(region: dict[str, Any], inst: dict[str, Any]) -> str:
    call = _kernel_call(inst["subgraph"], region, list(inst["weights"]))
    structure = inst["structure"]
    if region["kind"] == "block" or structure.startswith("tuple"):
        return f"return tuple({call})"
    if structure == "tensor":
        return f"return {call}[0]"
    raise Unhandled(f"region {region['id']}", region["line"], "it returns something other than tensors")


def compose(plan: dict[str, Any], kernels: dict[str, str], sets: dict[str, str]) -> str:
    if plan.get("fusedBy") == "model":
        return compose_adopted(plan, kernels)
    with open(plan["problem"], encoding="utf-8") as fh:
        source = apply_sets(fh.read(), sets)
    tree = ast.parse(source)
    fn = _forward(_model_class(tree))
    cut = _recut(fn, plan["regions"])
    starts = _offsets(source)
    bodies = {}
    for r, d in zip(cut, plan["regions"]):
        bodies[r.id] = method_body(d, source, starts, r)
    return rewrite(source, tree, cut, bodies, "ModelNew", _head(plan, kernels))


def _head(plan: dict[str, Any], kernels: dict[str, str]) -> str:
    """The header, the imports and every subgraph's kernel file embedded under its prefix."""
    imports: list[str] = ["import torch", "import triton", "import triton.language as tl"]
    blocks: list[str] = []
    for sg in plan["subgraphs"]:
        sid = sg["id"]
        path = kernels.get(sid)
        if path is None:
            raise Unhandled(f"subgraph {sid}", None, "no verified kernel")
        with open(path, encoding="utf-8") as fh:
            imp, body = embed_kernel(fh.read(), f"_{sid}_")
        imports += [i for i in imp if i not in imports]
        blocks.append(f"# ---- {sid}: {', '.join(sg['ops'])} (used {sg['count']}x) ----\n{body}\n\n_{sid}_run = _{sid}_ModelNew()\n")
    if any(w["kind"] == "computed" for sg in plan["subgraphs"] for w in sg["weights"]):
        blocks.insert(0, FOLD_HELPERS.strip() + "\n")
    name = plan["problem"].rsplit("/", 1)[-1]
    return HEADER.format(name=name) + "\n".join(imports) + "\n\n" + "\n\n".join(blocks) + "\n\n"


def compose_adopted(plan: dict[str, Any], kernels: dict[str, str]) -> str:
    """A fused module written elsewhere (`fusedBy: model`): fused.py itself with each region
    method's body replaced by its kernel launch; forward is untouched."""
    from .adopt import read_regions

    with open(plan["fused"], encoding="utf-8") as fh:
        source = fh.read()  # written with the run's --set values already applied
    methods = {n.name: n for n in _model_class(ast.parse(source)).body if isinstance(n, ast.FunctionDef)}
    _, cut = read_regions(source)
    docs = {d["id"]: d for d in plan["regions"]}
    starts = _offsets(source)
    edits = []
    for r in cut:
        d = docs[r.id]
        if d["instances"] and all(i["inline"] for i in d["instances"]):
            continue  # views only: the method stays as written
        m = methods[f"_tz_{r.id}"]
        if m.body[0].lineno == m.lineno:
            raise Unhandled(f"method _tz_{r.id}", m.lineno, "its body shares the line of its def")
        a, b = starts[m.body[0].lineno - 1], starts[m.body[-1].end_lineno]  # type: ignore[index]
        edits.append((a, b, textwrap.indent(method_body(d, source, starts, r), " " * m.body[0].col_offset) + "\n"))
    for a, b, text in sorted(edits, reverse=True):
        source = source[:a] + text + source[b:]
    return _head(plan, kernels) + _rename_model(source, "ModelNew")


def _recut(fn: ast.FunctionDef, plan_regions: list[dict[str, Any]]) -> list[Region]:
    """The plan's regions as Region objects over this parse of the source, found by their lines."""
    stmt_at: dict[int, ast.stmt] = {}
    test_at: dict[int, ast.expr] = {}
    for node in ast.walk(fn):
        if isinstance(node, ast.stmt):
            stmt_at.setdefault(node.lineno, node)
        if isinstance(node, (ast.If, ast.While)):
            test_at[node.test.lineno] = node.test
    regions = []
    for d in plan_regions:
        if d["kind"] == "cond":
            regions.append(Region(d["id"], "cond", [], test_at[d["line"]], d["branch"], d["liveIn"], d["liveOut"]))
            continue
        first = stmt_at[d["line"]]
        parent = _parent_body(fn, first)
        i = parent.index(first)
        run = [first]
        while run[-1].end_lineno < d["endLine"]:  # type: ignore[operator]
            i += 1
            run.append(parent[i])
        regions.append(Region(d["id"], d["kind"], run, None, d["branch"], d["liveIn"], d["liveOut"]))
    return regions


def _parent_body(fn: ast.AST, target: ast.stmt) -> list[ast.stmt]:
    for node in ast.walk(fn):
        for field in ("body", "orelse"):
            body = getattr(node, field, None)
            if isinstance(body, list) and target in body:
                return body
    raise Unhandled("region", target.lineno, "its statement is not in forward")


def run(args: Any) -> dict[str, Any]:
    try:
        with open(args.plan, encoding="utf-8") as fh:
            plan = json.load(fh)
        with open(args.kernels, encoding="utf-8") as fh:
            kernels = json.load(fh)
        text = compose(plan, kernels, parse_sets(args.sets))
    except Unhandled as e:
        return {"schema": SCHEMA, "ok": False, "message": f"the deterministic composer does not handle {e}", "path": None}
    with open(args.out, "w", encoding="utf-8") as fh:
        fh.write(text)
    return {"schema": SCHEMA, "ok": True, "message": "composed", "path": args.out}

