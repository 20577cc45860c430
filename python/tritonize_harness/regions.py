"""Cutting a model into regions: the deterministic fuser and extractor.

Model.forward's body is cut into straight-line regions between control-flow statements (if/else,
for, while, break/continue, return). Each region becomes a method of the fused module (`fused.py`:
the original source with the region's lines moved into `_tz_rN` and a call left in their place, so
names, comments and control flow stay as written); a tensor condition becomes a method `_tz_cN`
called where the test was. The fused model is run under the verifier's own seeds with every region
method recorded, then each region's observed instances are captured with torch.export at their
exact shapes, weights lifted to inputs, and written as functional KernelBench problems
(`subgraphs/<id>.py`). Instances with the same signature (the graph, its shapes, dtypes and weight
layout) are one subgraph, counted.

    python -m tritonize_harness regions --problem P --out DIR [--set NAME=VALUE ...]
"""
from __future__ import annotations

import ast
import hashlib
import operator
import os
import textwrap
import types
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn as nn

from .failure import Failure
from .problem import load_problem, short_traceback

SCHEMA = "tritonize.regions/1"


class Unhandled(Exception):
    """A construct the deterministic fuser does not cut: what it is and where."""

    def __init__(self, construct: str, line: int | None, detail: str) -> None:
        super().__init__(f"{construct}{f' at line {line}' if line else ''}: {detail}")
        self.construct, self.line, self.detail = construct, line, detail


# ---- reading forward: statements into regions ---------------------------------------------------

SIMPLE = (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Expr)


@dataclass
class Region:
    """A run of statements (kind "block"), the value of a return (kind "return"), or a test (kind "cond")."""
    id: str
    kind: str
    stmts: list[ast.stmt]
    test: ast.expr | None = None
    branch: str = ""
    live_in: list[str] = field(default_factory=list)
    live_out: list[str] = field(default_factory=list)

    @property
    def line(self) -> int:
        return self.test.lineno if self.test is not None else self.stmts[0].lineno

    @property
    def end_line(self) -> int:
        return self.test.end_lineno if self.test is not None else self.stmts[-1].end_lineno  # type: ignore[return-value]


def _names(nodes: list[ast.AST], ctx: type) -> list[str]:
    out: list[str] = []
    for n in nodes:
        for m in ast.walk(n):
            if isinstance(m, ast.Name) and isinstance(m.ctx, ctx) and m.id not in out:
                out.append(m.id)
    return out


def _first_reads(stmts: list[ast.AST]) -> list[str]:
    """Names read before this code assigns them (in statement order; a statement's value before its target)."""
    stored: set[str] = set()
    reads: list[str] = []
    for s in stmts:
        value_parts = [s.value] if isinstance(s, (ast.Assign, ast.AnnAssign, ast.Return, ast.Expr)) and s.value is not None else [s]
        if isinstance(s, ast.AugAssign):
            value_parts = [s.value, s.target]
        for n in _names(value_parts, ast.Load) + ([s.target.id] if isinstance(s, ast.AugAssign) and isinstance(s.target, ast.Name) else []):
            if n not in stored and n not in reads:
                reads.append(n)
        stored.update(_names([s], ast.Store))
    return reads


class Cutter:
    """Walks forward's body; `tensor_stmts` (statement ids observed assigning tensors) and
    `tensor_tests` (tests observed to be tensors) decide what becomes a region. With None, every
    simple statement and test is its own region (the first, observing pass)."""

    def __init__(self, fn: ast.FunctionDef, tensor_stmts: set[int] | None, tensor_tests: set[int] | None) -> None:
        self.fn = fn
        self.tensor_stmts, self.tensor_tests = tensor_stmts, tensor_tests
        self.regions: list[Region] = []
        params = [a.arg for a in fn.args.args + fn.args.kwonlyargs]
        self.locals = set(params) | set(_names(fn.body, ast.Store))

    def cut(self) -> list[Region]:
        self._block(self.fn.body, "")
        for r in self.regions:
            self._liveness(r)
        return self.regions

    def _add(self, kind: str, stmts: list[ast.stmt], branch: str, test: ast.expr | None = None) -> None:
        prefix = "c" if kind == "cond" else "r"
        self.regions.append(Region(f"{prefix}{len(self.regions) + 1}", kind, stmts, test, branch))

    def _is_tensor_stmt(self, s: ast.stmt) -> bool:
        if self.tensor_stmts is None:
            return True
        return id(s) in self.tensor_stmts

    def _block(self, body: list[ast.stmt], branch: str) -> None:
        run: list[ast.stmt] = []

        def flush() -> None:
            if run:
                if self.tensor_stmts is None:
                    for s in run:
                        self._add("block", [s], branch)
                else:
                    self._add("block", list(run), branch)
                run.clear()

        for s in body:
            if isinstance(s, SIMPLE):
                # a bare call (list.append, print) stays Python; so does an assignment observed to
                # hold no tensor (a size, a flag)
                if not isinstance(s, ast.Expr) and self._is_tensor_stmt(s):
                    run.append(s)
                else:
                    flush()
                continue
            if isinstance(s, ast.Return) and s.value is not None and not _plain_value(s.value):
                # a computed return value joins the run before it: one region
                if self.tensor_stmts is None:
                    flush()
                self._add("return", [*run, s], branch)
                run.clear()
                continue
            flush()
            here = f"{branch}/" if branch else ""
            if isinstance(s, ast.Return):
                continue
            elif isinstance(s, ast.If):
                self._test(s.test, branch)
                self._block(s.body, f"{here}if@{s.lineno}:then")
                self._block(s.orelse, f"{here}if@{s.lineno}:else")
            elif isinstance(s, ast.While):
                self._test(s.test, branch)
                self._block(s.body, f"{here}while@{s.lineno}")
                if s.orelse:
                    raise Unhandled("while ... else", s.lineno, "an else clause on a loop")
            elif isinstance(s, ast.For):
                if s.orelse:
                    raise Unhandled("for ... else", s.lineno, "an else clause on a loop")
                self._block(s.body, f"{here}for@{s.lineno}")
            elif isinstance(s, (ast.Break, ast.Continue, ast.Pass, ast.Assert, ast.Raise)):
                continue
            else:
                raise Unhandled(type(s).__name__.lower(), s.lineno, "a statement the deterministic fuser does not cut")
        flush()

    def _test(self, test: ast.expr, branch: str) -> None:
        if self.tensor_tests is None or id(test) in self.tensor_tests:
            self._add("cond", [], branch, test)

    def _liveness(self, r: Region) -> None:
        for s in r.stmts:
            targets = s.targets if isinstance(s, ast.Assign) else [s.target] if isinstance(s, (ast.AugAssign, ast.AnnAssign)) else []
            for t in targets:
                for m in ast.walk(t):
                    if isinstance(m, (ast.Attribute, ast.Subscript)) and isinstance(m.ctx, ast.Store):
                        raise Unhandled("assignment to " + ast.unparse(m), s.lineno,
                                        "forward changes module state or a container in place; a region may only bind names")
        parts: list[ast.AST] = [r.test] if r.test is not None else list(r.stmts)
        reads = _first_reads(parts) if r.test is None else _names(parts, ast.Load)
        r.live_in = [n for n in reads if n in self.locals and n != "self"]
        if r.kind != "block":
            return
        stored = [n for n in _names(r.stmts, ast.Store)]
        inside = {id(m) for s in r.stmts for m in ast.walk(s)}
        read_outside = {m.id for m in ast.walk(self.fn) if isinstance(m, ast.Name) and isinstance(m.ctx, ast.Load) and id(m) not in inside}
        r.live_out = [n for n in stored if n in read_outside or n in reads]


def _plain_value(e: ast.expr) -> bool:
    """A return value that only names values (x, or a tuple of names): nothing to compute."""
    if isinstance(e, ast.Name):
        return True
    return isinstance(e, (ast.Tuple, ast.List)) and all(isinstance(x, ast.Name) for x in e.elts)


# ---- writing fused.py --------------------------------------------------------------------------

def _model_class(tree: ast.Module) -> ast.ClassDef:
    for n in tree.body:
        if isinstance(n, ast.ClassDef) and n.name == "Model":
            return n
    raise Unhandled("Model", None, "the problem defines no class Model")


def _forward(cls: ast.ClassDef) -> ast.FunctionDef:
    for n in cls.body:
        if isinstance(n, ast.FunctionDef) and n.name == "forward":
            return n
    raise Unhandled("Model.forward", cls.lineno, "Model defines no forward")


def _offsets(source: str) -> list[int]:
    starts, pos = [], 0
    for line in source.splitlines(keepends=True):
        starts.append(pos)
        pos += len(line)
    starts.append(pos)
    return starts


def _span(starts: list[int], node: ast.AST) -> tuple[int, int]:
    return starts[node.lineno - 1] + node.col_offset, starts[node.end_lineno - 1] + node.end_col_offset  # type: ignore[attr-defined]


def call_text(r: Region) -> str:
    args = ", ".join(r.live_in)
    call = f"self._tz_{r.id}({args})"
    if r.kind == "block":
        return f"{', '.join(r.live_out)}{',' if len(r.live_out) == 1 else ''} = {call}" if r.live_out else call
    if r.kind == "return":
        return f"return {call}"
    return call


def region_source(source: str, starts: list[int], r: Region) -> str:
    """The region's own lines (comments between its statements included), as a method body."""
    if r.kind == "cond":
        a, b = _span(starts, r.test)  # type: ignore[arg-type]
        return f"return {source[a:b]}"
    lines = source.splitlines()[r.stmts[0].lineno - 1:r.stmts[-1].end_lineno]
    body = textwrap.dedent("\n".join(lines))
    if r.kind == "block":
        outs = ", ".join(r.live_out)
        body += f"\nreturn ({outs}{',' if len(r.live_out) == 1 else ''})"
    return body


def method_text(r: Region, body: str, pad: str) -> str:
    params = ", ".join(["self", *r.live_in])
    inner = textwrap.indent(body, pad + "    ")
    return f"{pad}def _tz_{r.id}({params}):\n{inner}\n"


def rewrite(source: str, tree: ast.Module, regions: list[Region], bodies: dict[str, str], class_name: str,
            header: str = "") -> str:
    """The problem's source with each region's text replaced by its call and the region methods
    added to the class (bodies: region id -> method body); class Model renamed to class_name."""
    starts = _offsets(source)
    cls = _model_class(tree)
    fwd = _forward(cls)
    edits: list[tuple[int, int, str]] = []
    for r in regions:
        if r.kind == "cond":
            a, b = _span(starts, r.test)  # type: ignore[arg-type]
        else:
            a, _ = _span(starts, r.stmts[0])
            _, b = _span(starts, r.stmts[-1])
        edits.append((a, b, call_text(r)))
    pad = " " * fwd.col_offset
    methods = "".join("\n" + method_text(r, bodies[r.id], pad) for r in regions)
    fwd_end = starts[fwd.end_lineno]  # type: ignore[index]
    edits.append((fwd_end, fwd_end, methods))
    out = source
    for a, b, text in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        out = out[:a] + text + out[b:]
    if class_name != "Model":
        out = _rename_model(out, class_name)
    return header + out


def _rename_model(source: str, name: str) -> str:
    import re

    return re.sub(r"\bModel\b", name, source)


def apply_sets(source: str, sets: dict[str, str]) -> str:
    """The source with top-level constants replaced as `--set` replaces them when loading."""
    tree = ast.parse(source)
    starts = _offsets(source)
    edits = []
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) and node.targets[0].id in sets:
            a, b = _span(starts, node.value)
            edits.append((a, b, sets[node.targets[0].id]))
    for a, b, text in sorted(edits, reverse=True):
        source = source[:a] + text + source[b:]
    return source


# ---- observing the fused model -----------------------------------------------------------------

def trial_seeds(base: int, trials: int) -> list[int]:
    """The verifier's input seeds for a base seed: trial t uses base + 1000 * (t + 1)."""
    return [base + 1000 * (t + 1) for t in range(trials + 1)]


@dataclass
class Call:
    region: str
    args: list[Any]
    result: Any
    base_seed: int
    trial_seed: int


def _load_fused(path: str, name: str) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__file__ = path
    with open(path, encoding="utf-8") as fh:
        code = compile(fh.read(), path, "exec")
    exec(code, module.__dict__)
    return module


def observe(fused_path: str, problem: Any, region_ids: list[str], seeds: list[tuple[int, list[int]]],
            keep: bool, device: str = "cpu") -> tuple[list[Call], list[tuple[Any, list[Any], Any]]]:
    """Runs the fused model for each (base seed, trial seeds) with its region methods recorded.
    Returns the calls and, per base seed and trial, the (model, inputs, output) of the run."""
    mod = _load_fused(fused_path, "tritonize_fused_observed")
    cls = mod.Model
    calls: list[Call] = []
    current: dict[str, int] = {}
    for rid in region_ids:
        orig = getattr(cls, f"_tz_{rid}")

        def wrapped(self, *args, _orig=orig, _rid=rid):
            result = _orig(self, *args)
            calls.append(Call(_rid, [_keep(a) for a in args] if keep else list(args), result,
                              current["base"], current["trial"]))
            return result

        setattr(cls, f"_tz_{rid}", wrapped)
    runs: list[tuple[Any, list[Any]]] = []
    for base, trial_list in seeds:
        model = build(cls, problem, base, device)
        for ts in trial_list:
            inputs = trial_inputs(problem, ts, device)
            current.update(base=base, trial=ts)
            with torch.no_grad():
                out = model(*inputs)
            runs.append((model, inputs, out))
    return calls, runs


def build(cls: type, problem: Any, seed: int, device: str) -> nn.Module:
    """The model as the verifier builds it: seeded before get_init_inputs and before the constructor."""
    torch.manual_seed(seed)
    init = problem.get_init_inputs()
    torch.manual_seed(seed)
    return cls(*init).to(device)


def trial_inputs(problem: Any, seed: int, device: str) -> list[Any]:
    torch.manual_seed(seed)
    return [x.to(device) if isinstance(x, torch.Tensor) else x for x in problem.get_inputs()]


def _keep(a: Any) -> Any:
    return a.detach().clone() if isinstance(a, torch.Tensor) else a


def _is_tensor_value(v: Any) -> bool:
    if isinstance(v, torch.Tensor):
        return True
    if isinstance(v, (tuple, list)):
        return any(_is_tensor_value(x) for x in v)
    return False


# ---- capturing a region's instance as a functional problem -------------------------------------

class _RegionProgram(nn.Module):
    """One observed call of a region as a module whose forward takes the call's tensors: module
    arguments (a loop's block) and the model itself (when the region reads `self`) are registered
    so torch.export lifts their parameters and buffers to inputs, named by their attribute path."""

    def __init__(self, fn: Any, model: nn.Module, uses_self: bool, names: list[str], args: list[Any]) -> None:
        super().__init__()
        self._fn, self._names, self._args = fn, names, args
        for n, a in zip(names, args):
            if isinstance(a, nn.Module):
                self.add_module(n, a)
        if uses_self:
            self.add_module("self_", model)
        else:
            object.__setattr__(self, "_model", model)

    def forward(self, *tensors: torch.Tensor) -> Any:
        it = iter(tensors)
        args = [getattr(self, n) if isinstance(a, nn.Module) else next(it) if isinstance(a, torch.Tensor) else a
                for n, a in zip(self._names, self._args)]
        model = self.self_ if "self_" in self._modules else self._model
        return self._fn(model, *args)


def _dtype(dt: torch.dtype) -> str:
    return str(dt).replace("torch.", "")


def _meta(t: torch.Tensor) -> dict[str, Any]:
    return {"shape": list(t.shape), "dtype": _dtype(t.dtype)}


def _fmt(a: Any, var: dict[Any, str]) -> str:
    if isinstance(a, torch.fx.Node):
        return var[a]
    if isinstance(a, list):
        return "[" + ", ".join(_fmt(x, var) for x in a) + "]"
    if isinstance(a, tuple):
        return "(" + ", ".join(_fmt(x, var) for x in a) + ("," if len(a) == 1 else "") + ")"
    if isinstance(a, torch.dtype):
        return str(a)
    if isinstance(a, torch.device):
        return "_dev"
    if isinstance(a, (torch.layout, torch.memory_format)):
        return str(a)
    if isinstance(a, float) and (a != a or a in (float("inf"), float("-inf"))):
        return f"float({str(a)!r})"
    if a is None or isinstance(a, (bool, int, float, str, slice)):
        return repr(a)
    raise Unhandled("argument", None, f"a captured argument of type {type(a).__name__} ({a!r:.80})")


def _target(t: Any) -> str:
    if isinstance(t, torch._ops.OpOverload):
        return f"torch.ops.{t.namespace}.{t._overloadpacket.__name__}.{t._overloadname}"
    if getattr(t, "__module__", None) == "_operator" and hasattr(operator, t.__name__):
        return f"operator.{t.__name__}"
    raise Unhandled("operator", None, f"the captured call {t!r} is not an ATen operator")


def _attribute_expr(target: str) -> str:
    """`self_.network.0.weight` -> `self.network[0].weight`: a state path as Python that reads it."""
    head, *rest = target.split(".")
    out = "self" if head == "self_" else head
    for part in rest:
        out += f"[{part}]" if part.isdigit() else f".{part}" if part.isidentifier() else f"[{part!r}]"
    return out


def _state_expr(target: str, modules: dict[str, str]) -> str:
    """A state path as Python, read through the call's own module argument where it lies under one
    (a loop's `layer.weight`, not `self.layers[1].weight`): blocks of one shape held in a
    ModuleList then launch one kernel with the loop's module, whatever the iteration."""
    for var, path in modules.items():
        head = f"self_.{path}"
        if path not in ("", "?") and (target == head or target.startswith(head + ".")):
            return _attribute_expr(var + target[len(head):])
    return _attribute_expr(target)


def _generator(t: torch.Tensor, kind: str) -> str:
    """get_inputs() code for a tensor like t: its shape and dtype, values in its observed range."""
    shape = ", ".join(str(s) for s in t.shape) + ("," if t.dim() == 1 else "")
    dt = str(t.dtype)
    if t.dtype == torch.bool:
        return f"torch.rand(({shape})) < 0.5"
    if not t.is_floating_point():
        lo, hi = (int(t.min()), int(t.max())) if t.numel() else (0, 1)
        return f"torch.randint({lo}, {hi + 1}, ({shape}), dtype={dt})"
    x = t.detach().double()
    lo, hi = (float(x.min()), float(x.max())) if t.numel() else (0.0, 1.0)
    mean, std = (float(x.mean()), float(x.std())) if t.numel() > 1 else (lo, 0.0)
    if kind == "parameter":
        # a parameter may start constant (a norm's weight of ones); spread it so a kernel that
        # ignores it cannot pass
        std = max(std, 0.1 * abs(mean), 1e-2)
        return f"torch.randn(({shape}), dtype={dt}) * {std!r} + {mean!r}"
    if lo >= 0:
        # non-negative values (after a ReLU, a variance) stay non-negative
        return f"torch.rand(({shape}), dtype={dt}) * {max(hi - lo, 1e-3)!r} + {lo!r}"
    return f"torch.randn(({shape}), dtype={dt}) * {max(std, 1e-3)!r} + {mean!r}"


def _fold_batch_norm(graph: torch.fx.Graph, kinds: dict[str, tuple[str, Any]], state: dict[str, torch.Tensor],
                     modules: dict[str, str]) -> dict[str, dict[str, Any]]:
    """BatchNorm rewritten by mode before the graph becomes a problem (fold.py)."""
    from .fold import drop_training_state, fold_eval_batch_norm

    def target(n: torch.fx.Node) -> str | None:
        kind, t = kinds.get(n.name, ("USER_INPUT", None))
        return t if kind in ("PARAMETER", "BUFFER") else None

    drop_training_state(graph, lambda n: (target(n) or "").endswith("num_batches_tracked"))
    return fold_eval_batch_norm(graph, lambda n: state.get(target(n) or ""), lambda n: _state_expr(target(n) or "", modules))


@dataclass
class Capture:
    signature: str
    source: str
    ops: list[str]
    inputs: list[dict[str, Any]]
    outputs: list[dict[str, Any]]
    weights: list[dict[str, Any]]
    compute: bool


def capture_call(fn: Any, model: nn.Module, region: Region, uses_self: bool, args: list[Any],
                 names_of: dict[int, str], title: str, modules: dict[str, str]) -> Capture:
    from .capture import VIEW_OPS

    tensors = [a for a in args if isinstance(a, torch.Tensor)]
    prog = _RegionProgram(fn, model, uses_self, region.live_in, args)
    try:
        ep = torch.export.export(prog, tuple(tensors), strict=False)
    except Exception as e:
        first = (str(e).strip().splitlines() or [type(e).__name__])[0]
        raise Unhandled(f"region {region.id}", region.line, f"torch.export could not capture it: {type(e).__name__}: {first}") from e
    sig = ep.graph_signature
    kinds = {s.arg.name: (s.kind.name, s.target) for s in sig.input_specs}
    var: dict[Any, str] = {}
    user, weights, lines, ops = [], [], [], []
    state = {**dict(prog.named_parameters(remove_duplicate=False)), **dict(prog.named_buffers(remove_duplicate=False))}
    consts = getattr(ep, "constants", {})
    folded = _fold_batch_norm(ep.graph, kinds, state, modules)
    for node in ep.graph.nodes:
        if node.op != "placeholder":
            continue
        kind, target = kinds.get(node.name, ("COMPUTED", None) if node.name in folded else ("USER_INPUT", None))
        if kind != "USER_INPUT" and not node.users:
            continue  # a parameter of a registered module that this region does not read
        if kind == "COMPUTED":
            f = folded[node.name]
            var[node] = f"w{len(weights)}"
            weights.append({"input": var[node], "expr": f["expr"], "name": f["name"], "kind": "computed", **_meta(f["tensor"]), "_tensor": f["tensor"]})
        elif kind == "USER_INPUT":
            var[node] = f"x{len(user)}"
            user.append(node)
        else:
            var[node] = f"w{len(weights)}"
            t = state.get(target) if kind in ("PARAMETER", "BUFFER") else consts.get(target)
            if t is None or not isinstance(t, torch.Tensor):
                raise Unhandled(f"region {region.id}", region.line, f"a captured constant ({target}) that is not an attribute tensor")
            expr = _state_expr(target, modules)
            weights.append({"input": var[node], "expr": expr, "name": names_of.get(id(t), expr),
                            "kind": {"PARAMETER": "parameter", "BUFFER": "buffer"}.get(kind, "constant"),
                            **_meta(t), "_tensor": t})
    compute = False
    for node in ep.graph.nodes:
        if node.op == "call_function":
            var[node] = f"v{len(lines)}"
            args_s = [_fmt(a, var) for a in node.args] + [f"{k}={_fmt(v, var)}" for k, v in node.kwargs.items()]
            lines.append(f"{var[node]} = {_target(node.target)}({', '.join(args_s)})")
            if isinstance(node.target, torch._ops.OpOverload):
                name = node.target._overloadpacket.__name__
                ops.append(name)
                compute = compute or name not in VIEW_OPS
        elif node.op == "get_attr":
            raise Unhandled(f"region {region.id}", region.line, f"a captured attribute read ({node.target})")
    out_node = next(n for n in ep.graph.nodes if n.op == "output")
    outs = [a for s, a in zip(sig.output_specs, out_node.args[0]) if s.kind.name == "USER_OUTPUT"]
    if not all(isinstance(o, torch.fx.Node) for o in outs):
        raise Unhandled(f"region {region.id}", region.line, "an output that is not a tensor")
    params = [var[n] for n in user] + [w["input"] for w in weights]
    if not params:
        raise Unhandled(f"region {region.id}", region.line, "it reads no tensor")
    body = [f"_dev = {params[0]}.device"] + lines + [f"return ({', '.join(var[o] for o in outs)},)"]
    forward = f"    def forward(self, {', '.join(params)}):\n" + "".join(f"        {l}\n" for l in body)
    user_meta = [{"input": var[n], **_meta(t)} for n, t in zip(user, tensors)]
    out_meta = [_meta(o.meta["val"]) for o in outs]
    layout = [(w["shape"], w["dtype"], w["kind"]) for w in weights]
    signature = hashlib.sha256(repr((forward, [(m["shape"], m["dtype"]) for m in user_meta], layout)).encode()).hexdigest()[:16]
    gens = [_generator(t, "input") for t in tensors] + [_generator(w["_tensor"], "parameter" if w["kind"] == "computed" else w["kind"]) for w in weights]
    source = (
        f"# {title}\n# Captured with torch.export at the exact shapes observed; weights are inputs.\n"
        "import operator\n\nimport torch\nimport torch.nn as nn\n\n\n"
        "class Model(nn.Module):\n    def __init__(self):\n        super().__init__()\n\n" + forward + "\n\n"
        "def get_inputs():\n    return [\n" + "".join(f"        {g},\n" for g in gens) + "    ]\n\n\n"
        "def get_init_inputs():\n    return []\n"
    )
    for w in weights:
        del w["_tensor"]
    return Capture(signature, source, ops, user_meta, out_meta, weights, compute)


# ---- the whole analysis ------------------------------------------------------------------------

FUSED_HEADER = ("# Fused by tritonize from {name}: each straight-line region of forward is a _tz_r* method\n"
                "# and each tensor condition a _tz_c* method; control flow, names and comments as written.\n")


def _write(path: str, text: str) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)


def _fused(source: str, tree: ast.Module, regions: list[Region], path: str, name: str) -> None:
    starts = _offsets(source)
    bodies = {r.id: region_source(source, starts, r) for r in regions}
    _write(path, rewrite(source, tree, regions, bodies, "Model", FUSED_HEADER.format(name=name)))


def _classify(calls: list[Call], regions: list[Region]) -> tuple[set[int], set[int]]:
    """Statements and tests observed to produce tensors; never-run ones count as tensors."""
    seen: dict[str, bool] = {}
    for c in calls:
        seen[c.region] = seen.get(c.region, False) or _is_tensor_value(c.result)
    stmts, tests = set(), set()
    for r in regions:
        tensor = seen.get(r.id, True)
        if tensor and r.kind == "cond":
            tests.add(id(r.test))
        elif tensor:
            stmts.update(id(s) for s in r.stmts)
    return stmts, tests


def _compare(a: Any, b: Any) -> float:
    ta = [a] if isinstance(a, torch.Tensor) else list(a)
    tb = [b] if isinstance(b, torch.Tensor) else list(b)
    if len(ta) != len(tb):
        return float("inf")
    worst = 0.0
    for x, y in zip(ta, tb):
        if x.shape != y.shape:
            return float("inf")
        if x.numel():
            worst = max(worst, float((x.double() - y.double()).abs().max()))
    return worst


def analyze(problem_path: str, sets: dict[str, str], out_dir: str, trials: int = 5, seed: int = 42,
            explore: int = 16, device: str = "cpu") -> dict[str, Any]:
    problem = load_problem(problem_path, sets, module_name="tritonize_regions_problem")
    source = apply_sets(problem.source, sets)
    tree = ast.parse(source)
    fn = _forward(_model_class(tree))
    os.makedirs(os.path.join(out_dir, "subgraphs"), exist_ok=True)
    fused_path = os.path.join(out_dir, "fused.py")
    name = os.path.basename(problem_path)
    base_runs = [(seed, trial_seeds(seed, trials))]

    # pass 1: every statement and test on its own, to see which hold tensors
    first = Cutter(fn, None, None).cut()
    _fused(source, tree, first, fused_path, name)
    calls, _ = observe(fused_path, problem, [r.id for r in first], base_runs, keep=False, device=device)
    stmts, tests = _classify(calls, first)

    # pass 2: the regions themselves
    regions = Cutter(fn, stmts, tests).cut()
    _fused(source, tree, regions, fused_path, name)
    return plan_document(fused_path, problem, problem_path, regions, trials, seed, explore, device)


def plan_document(fused_path: str, problem: Any, problem_path: str, regions: list[Region], trials: int, seed: int,
                  explore: int, device: str, forward: ast.FunctionDef | None = None) -> dict[str, Any]:
    """The regions document of a fused module whose region methods are `regions`: observed under
    the verifier's seeds, compared with the original, each unique call captured. `forward` is the
    forward whose names the regions read (default: the problem's own)."""
    base_runs = [(seed, trial_seeds(seed, trials))]
    calls, runs = observe(fused_path, problem, [r.id for r in regions], base_runs, keep=True, device=device)
    sides = _sides(calls, regions)
    extra = _explore(fused_path, problem, regions, sides, seed, explore, device)
    fused_err = _check_fused(problem, runs, base_runs, device)

    subgraphs, region_docs = _extract(fused_path, problem_path, regions, calls, runs[0][0], forward)
    return {
        "schema": SCHEMA, "ok": True, "problem": os.path.abspath(problem_path), "fused": fused_path,
        "fusedMaxAbsErr": fused_err, "seeds": {"base": seed, "trials": trial_seeds(seed, trials)},
        "regions": region_docs, "subgraphs": subgraphs, "branches": _branch_docs(regions, sides, extra),
        "conditionReads": _condition_reads(calls, regions, seed),
    }


def _condition_reads(calls: list[Call], regions: list[Region], seed: int) -> int:
    """The most tensor conditions one forward call evaluated: each is one read back to Python."""
    conds = {r.id for r in regions if r.kind == "cond"}
    per_trial: dict[int, int] = {}
    for c in calls:
        if c.region in conds and c.base_seed == seed:
            per_trial[c.trial_seed] = per_trial.get(c.trial_seed, 0) + 1
    return max(per_trial.values(), default=0)


def _sides(calls: list[Call], regions: list[Region]) -> dict[str, dict[str, list[int]]]:
    """For each tensor condition: trial seeds (under the base seed) where it was true / false."""
    out: dict[str, dict[str, list[int]]] = {r.id: {"true": [], "false": []} for r in regions if r.kind == "cond"}
    for c in calls:
        if c.region in out:
            side = "true" if bool(c.result) else "false"
            if c.trial_seed not in out[c.region][side]:
                out[c.region][side].append(c.trial_seed)
    return out


def _explore(fused_path: str, problem: Any, regions: list[Region], sides: dict[str, dict[str, list[int]]],
             seed: int, explore: int, device: str) -> dict[str, dict[str, int]]:
    """For a condition side no verification trial takes: a base seed whose first trial takes it."""
    missing = {(rid, s) for rid, d in sides.items() for s in ("true", "false") if not d[s]}
    found: dict[str, dict[str, int]] = {}
    conds = [r.id for r in regions if r.kind == "cond"]
    for base in range(seed + 1, seed + 1 + explore):
        if not missing:
            break
        calls, _ = observe(fused_path, problem, conds, [(base, [base + 1000])], keep=False, device=device)
        for c in calls:
            side = "true" if bool(c.result) else "false"
            if (c.region, side) in missing:
                missing.discard((c.region, side))
                found.setdefault(c.region, {})[side] = base
    return found


def _branch_docs(regions: list[Region], sides: dict[str, dict[str, list[int]]], extra: dict[str, dict[str, int]]) -> list[dict[str, Any]]:
    docs = []
    for r in regions:
        if r.kind != "cond":
            continue
        for side in ("true", "false"):
            docs.append({"condition": r.id, "line": r.line, "side": side, "trialSeeds": sides[r.id][side],
                         "extraBaseSeed": extra.get(r.id, {}).get(side)})
    return docs


def _check_fused(problem: Any, runs: list[tuple[Any, list[Any], Any]], base_runs: list[tuple[int, list[int]]], device: str) -> float:
    """The fused model's outputs against the original's, same seeds and inputs: the largest difference."""
    worst = 0.0
    i = 0
    for base, trial_list in base_runs:
        ref = build(problem.Model, problem, base, device)
        for ts in trial_list:
            inputs = trial_inputs(problem, ts, device)
            with torch.no_grad():
                expect = ref(*inputs)
            worst = max(worst, _compare(expect, runs[i][2]))
            i += 1
    return worst


def _module_paths(model: nn.Module) -> tuple[dict[int, str], dict[int, str]]:
    mods = {id(m): p for p, m in model.named_modules()}
    tensors = {id(t): p for p, t in [*model.named_parameters(remove_duplicate=False), *model.named_buffers(remove_duplicate=False)]}
    return mods, tensors


def _extract(fused_path: str, problem_path: str, regions: list[Region], calls: list[Call], model: nn.Module,
             forward: ast.FunctionDef | None = None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    mod = _load_fused(fused_path, "tritonize_fused_capture")
    mod_paths, names_of = _module_paths(model)
    fn = forward or _forward(_model_class(ast.parse(open(problem_path, encoding="utf-8").read())))
    params = {a.arg for a in fn.args.args}
    stores = [(m.id, m.lineno) for m in ast.walk(fn) if isinstance(m, ast.Name) and isinstance(m.ctx, ast.Store)]

    def model_inputs(r: Region) -> set[str]:
        """forward's own arguments the region reads unchanged: not rebound before it, nor in a loop around it."""
        looped = "for@" in r.branch or "while@" in r.branch
        return {n for n in params if not any(s == n and (line < r.line or looped) for s, line in stores)}

    subgraphs: dict[str, dict[str, Any]] = {}
    by_region: dict[str, list[dict[str, Any]]] = {r.id: [] for r in regions}
    seen: set[tuple[Any, ...]] = set()
    base = next(iter({c.base_seed for c in calls}), None)
    for c in calls:
        if c.base_seed != base:
            continue
        r = next(x for x in regions if x.id == c.region)
        key = (c.region, tuple(id(a) if isinstance(a, nn.Module) else (tuple(a.shape), a.dtype) if isinstance(a, torch.Tensor) else repr(a) for a in c.args))
        if key in seen:
            continue
        seen.add(key)
        uses_self = "self" in _names([r.test] if r.test is not None else r.stmts, ast.Load)
        modules = {n: mod_paths.get(id(a), "?") for n, a in zip(r.live_in, c.args) if isinstance(a, nn.Module)}
        title = f"Subgraph of {os.path.basename(problem_path)}: region {r.id} (line {r.line}{', ' + r.branch if r.branch else ''})"
        cap = capture_call(getattr(mod.Model, f"_tz_{r.id}"), model, r, uses_self, c.args, names_of, title, modules)
        python_args = [n for n, a in zip(r.live_in, c.args) if not isinstance(a, (nn.Module, torch.Tensor))]
        # what tells this call from the region's other calls at run time: Python values and shapes
        guard = {"python": {n: repr(a) for n, a in zip(r.live_in, c.args) if n in python_args},
                 "shapes": {n: list(a.shape) for n, a in zip(r.live_in, c.args) if isinstance(a, torch.Tensor)}}
        instance = {"modules": modules, "python": python_args, "guard": guard, "weights": [w["expr"] for w in cap.weights], "subgraph": None,
                    "inline": not cap.compute, "structure": _structure(c.result)}
        if cap.compute:
            sg = subgraphs.get(cap.signature)
            if sg is None:
                sid = f"sg{len(subgraphs) + 1}"
                path = os.path.join(os.path.dirname(fused_path), "subgraphs", f"{sid}.py")
                _write(path, cap.source)
                _write_graph(path)
                sg = subgraphs[cap.signature] = {
                    "id": sid, "signature": cap.signature, "problem": path, "ops": cap.ops, "inputs": cap.inputs,
                    "outputs": cap.outputs, "weights": cap.weights, "count": 0, "where": [],
                }
            sg["count"] += 1
            tensor_args = [n for n, a in zip(r.live_in, c.args) if isinstance(a, torch.Tensor)]
            sg["where"].append({"region": r.id, "line": r.line, "branch": r.branch, "modules": modules, "args": tensor_args,
                                "inputs": [n for n in tensor_args if n in model_inputs(r)]})
            instance["subgraph"] = sg["id"]
        by_region[r.id].append(instance)
    docs = []
    for r in regions:
        docs.append({"id": r.id, "kind": r.kind, "line": r.line, "endLine": r.end_line, "branch": r.branch,
                     "liveIn": r.live_in, "liveOut": r.live_out, "usesSelf": "self" in _names([r.test] if r.test is not None else r.stmts, ast.Load),
                     "pythonArgs": sorted({n for i in by_region[r.id] for n in i["python"]}),
                     "instances": by_region[r.id]})
    return list(subgraphs.values()), docs


def _write_graph(problem: str) -> None:
    """The subgraph problem's captured graph beside it (`sgN.graph.json`), made here in the same
    process so the offline author need not start another one to capture it."""
    import json

    from .capture import capture

    with open(problem[:-3] + ".graph.json", "w", encoding="utf-8") as fh:
        json.dump(capture(problem), fh, default=str)


def _structure(result: Any) -> str:
    if isinstance(result, torch.Tensor):
        return "tensor"
    if isinstance(result, (tuple, list)) and all(isinstance(x, torch.Tensor) for x in result):
        return f"tuple{len(result)}"
    return "other"


def run(args: Any) -> dict[str, Any]:
    from .problem import parse_sets

    try:
        from .device import resolve_device

        device = resolve_device(getattr(args, "device", "cpu"))
        if getattr(args, "fused", None):
            from .adopt import adopt

            return adopt(args.problem, parse_sets(args.sets), args.fused, args.out, trials=args.trials, device=device)
        return analyze(args.problem, parse_sets(args.sets), args.out, trials=args.trials, device=device)
    except Unhandled as e:
        return {"schema": SCHEMA, "ok": False, "problem": os.path.abspath(args.problem), "code": "unhandled",
                "construct": e.construct, "line": e.line,
                "message": f"the fused module was not adopted: {e}" if getattr(args, "fused", None)
                else f"the deterministic fuser does not handle {e}"}
    except Failure as e:
        from .messages import render

        return {"schema": SCHEMA, "ok": False, "problem": os.path.abspath(args.problem), "code": e.code,
                "construct": None, "line": getattr(e, "line", None), "message": render(e.code, e.details)}
    except Exception as e:  # the model itself raised while observed: say where
        return {"schema": SCHEMA, "ok": False, "problem": os.path.abspath(args.problem), "code": "observe_failed",
                "construct": None, "line": None, "message": f"running the fused model failed: {type(e).__name__}: {e}\n{short_traceback(e)}"}
