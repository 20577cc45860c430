"""Graph capture: trace a problem's Model with torch.export and describe exactly what it computes.

The document lists the model's inputs, parameters and buffers, and one node per ATen operator at the
problem's exact input shapes (training-IR level, so `linear`, `layer_norm`, `softmax` stay whole),
with each node's arguments pointing at inputs, parameters, buffers, other nodes or constants. The
offline author writes kernels from it; when tracing fails the document says why (for example
data-dependent control flow, and on which line of the problem).

    python -m tritonize_harness.capture --problem P [--set NAME=VALUE ...]
"""
from __future__ import annotations

import argparse
import contextlib
import ast
import inspect
import json
import math
import operator
import sys
import textwrap
import traceback
import types
from pathlib import Path
from typing import Any

import torch
import torch.nn as nn

SCHEMA = "tritonize.graph/1"

# Ops whose result is a view or metadata change: the wrapper repeats them, no kernel needed.
VIEW_OPS = {
    "view", "reshape", "_unsafe_view", "permute", "transpose", "t", "numpy_T", "expand", "unsqueeze",
    "squeeze", "flatten", "unflatten", "contiguous", "alias", "clone", "detach", "slice", "select",
    "expand_as", "view_as", "mT", "narrow",
}


# Composite operators the offline author has no template for, but whose PyTorch decomposition uses
# only operators it covers (views, elementwise ops, reductions, bmm): each is replaced in the
# captured graph by that decomposition. Everything else stays whole (linear, layer_norm, softmax,
# batch_norm and the rest are written as one kernel each).
DECOMPOSE_OPS = {
    "einsum", "tensordot", "inner", "outer", "dot", "vdot", "mv", "addmv", "baddbmm", "broadcast_tensors",
    "cosine_similarity", "pairwise_distance", "kl_div", "xlogy", "triplet_margin_loss", "smooth_l1_loss",
    "huber_loss", "l1_loss", "mse_loss", "margin_ranking_loss", "hinge_embedding_loss", "soft_margin_loss",
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "frobenius_norm", "linalg_norm", "logsumexp",
    "fliplr", "flipud", "rot90", "var_mean", "std_mean", "stack", "glu", "prelu", "rrelu", "cosine_embedding_loss",
    "poisson_nll_loss", "multi_margin_loss", "log_sigmoid_forward", "fill", "_prelu_kernel",
}


def _attention_math(q: Any, k: Any, v: Any, attn_mask: Any = None, dropout_p: float = 0.0, is_causal: bool = False,
                    scale: Any = None, enable_gqa: bool = False) -> Any:
    """scaled_dot_product_attention as PyTorch's reference ("math") form: two batched products
    around a softmax. Only the unmasked, dropout-free case: masks would need tensors built inside
    the graph."""
    if attn_mask is not None or is_causal or dropout_p != 0.0:
        raise NotImplementedError("attention with a mask or dropout")
    return torch.ops.aten._scaled_dot_product_attention_math(q, k, v, None, 0.0, False, scale=scale,
                                                             enable_gqa=enable_gqa)[0]


def _with_mean(spread: Any) -> Any:
    """var_mean / std_mean as the two reductions the author has templates for (PyTorch's table
    traces them as operator packets whose arguments do not name their overload)."""
    def decomposed(x: Any, dim: Any = None, *, correction: Any = None, keepdim: bool = False) -> Any:
        return spread(x, dim, correction=correction, keepdim=keepdim), torch.ops.aten.mean.dim(x, dim, keepdim)
    return decomposed


def _arg(node: Any, i: int, name: str, default: Any) -> Any:
    """A node's argument by position, else by keyword, else the default."""
    return node.args[i] if len(node.args) > i else node.kwargs.get(name, default)


def _aminmax(x: Any, *, dim: Any = None, keepdim: bool = False) -> Any:
    """aminmax as the two reductions it returns: (amin, amax) over dim, or over every element."""
    dims = [] if dim is None else [dim]
    return torch.ops.aten.amin.default(x, dims, keepdim), torch.ops.aten.amax.default(x, dims, keepdim)


def _linear_of_vector(x: Any, w: Any, b: Any = None) -> Any:
    """linear of a 1-D input: the same product on a one-row matrix (mm or addmm), squeezed back."""
    return torch.ops.aten.linear.default(x.unsqueeze(0), w, b).squeeze(0)


def _roll_flat(x: Any, shifts: Any, dims: Any = ()) -> Any:
    """roll with no dims (of the flattened tensor): a roll along dim 0 of the flat view, viewed back."""
    return torch.ops.aten.roll.default(x.reshape(-1), shifts, [0]).view(x.shape)


def _rolls_flat(node: Any) -> bool:
    return not _arg(node, 2, "dims", [])


def _slices(x: Any, sizes: list[int], dim: int) -> Any:
    """Consecutive slices of x along dim with these sizes: what chunk and split return, as views."""
    out, start = [], 0
    dim = dim % max(x.dim(), 1)
    for n in sizes:
        out.append(torch.ops.aten.slice.Tensor(x, dim, start, start + n))
        start += n
    return tuple(out)


def _split(x: Any, split_size: Any, dim: int = 0) -> Any:
    size = x.shape[dim]
    if isinstance(split_size, (list, tuple)):
        return _slices(x, list(split_size), dim)
    step = max(int(split_size), 1)
    return _slices(x, [min(step, size - s) for s in range(0, max(size, 1), step)], dim)


def _chunk(x: Any, chunks: int, dim: int = 0) -> Any:
    size = x.shape[dim]
    step = -(-size // chunks) if size else 1
    return _slices(x, [min(step, size - s) for s in range(0, size, step)] or [0], dim)


def _rrelu_eval(x: Any, noise: Any, lower: Any = 1.0 / 8, upper: Any = 1.0 / 3, training: bool = False, generator: Any = None) -> Any:
    """rrelu outside training: a leaky ReLU whose slope is the mean of the bounds (training draws
    random slopes, which no kernel can reproduce, so it stays whole and unsupported)."""
    return torch.ops.aten.leaky_relu.default(x, (lower + upper) / 2)




def _vector_input(node: Any) -> bool:
    v = node.args[0].meta.get("val") if node.args and isinstance(node.args[0], torch.fx.Node) else None
    return isinstance(v, torch.Tensor) and v.dim() == 1


# Vector-norm orders the author has a template for; capture writes the others as what they are.
_NORM_TEMPLATES = (1, 2, math.inf)


def _vector_norm(x: Any, ord: Any = 2, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Any:
    """linalg_vector_norm of another order as elementwise ops and reductions: sum(|x|^p)^(1/p);
    order 0 counts the non-zero elements, -inf is the smallest magnitude."""
    aten = torch.ops.aten
    if dtype is not None:
        x = aten._to_copy.default(x, dtype=dtype)
    dims = list(range(x.dim())) if dim is None else [dim] if isinstance(dim, int) else list(dim)
    if ord == 0:
        return aten.sum.dim_IntList(aten._to_copy.default(aten.ne.Scalar(x, 0), dtype=x.dtype), dims, keepdim)
    if ord == -math.inf:
        return aten.amin.default(aten.abs.default(x), dims, keepdim)
    powered = aten.pow.Tensor_Scalar(aten.abs.default(x), ord)
    return aten.pow.Tensor_Scalar(aten.sum.dim_IntList(powered, dims, keepdim), 1.0 / ord)


def _norm_order(node: Any) -> Any:
    return _arg(node, 1, "ord", 2)


def _one_d_product(node: Any) -> bool:
    """A matmul with a 1-D operand: its composite form is mv, dot or mm between (un)squeezes."""
    vals = [a.meta.get("val") for a in node.args[:2] if isinstance(a, torch.fx.Node)]
    return any(isinstance(v, torch.Tensor) and v.dim() == 1 for v in vals)


def _decomposition(op: Any, node: Any = None) -> Any:
    """The operator's own decomposition: its composite kernel, else PyTorch's Python table."""
    if op is torch.ops.aten.scaled_dot_product_attention.default:
        return _attention_math
    if op is torch.ops.aten.matmul.default and node is not None and _one_d_product(node):
        return lambda *a, **k: op.decompose(*a, **k)
    if op is torch.ops.aten.linalg_vector_norm.default and node is not None and _norm_order(node) not in _NORM_TEMPLATES:
        return _vector_norm
    if op is torch.ops.aten.roll.default and node is not None and _rolls_flat(node):
        return _roll_flat
    if op is torch.ops.aten.rrelu_with_noise.default and node is not None and not _arg(node, 4, "training", False):
        return _rrelu_eval
    if op in (torch.ops.aten.split.Tensor, torch.ops.aten.split_with_sizes.default, torch.ops.aten.split.sizes):
        return _split
    if op is torch.ops.aten.chunk.default:
        return _chunk
    if op is torch.ops.aten.aminmax.default:
        return _aminmax
    if op is torch.ops.aten.linear.default and node is not None and _vector_input(node):
        return _linear_of_vector
    if op is torch.ops.aten.var_mean.correction:
        return _with_mean(torch.ops.aten.var.correction)
    if op is torch.ops.aten.std_mean.correction:
        return _with_mean(torch.ops.aten.std.correction)
    if not isinstance(op, torch._ops.OpOverload) or op._overloadpacket.__name__ not in DECOMPOSE_OPS:
        return None
    try:
        if op.has_kernel_for_dispatch_key(torch._C.DispatchKey.CompositeImplicitAutograd):
            return lambda *a, **k: op.decompose(*a, **k)
    except RuntimeError:
        pass
    from torch._decomp import decomposition_table

    return decomposition_table.get(op)


def _scalar_of(node: Any) -> Any:
    """The Python number a `scalar_tensor` node holds (a 0-d constant acts as a scalar in arithmetic)."""
    if getattr(node, "op", None) == "call_function" and node.target is torch.ops.aten.scalar_tensor.default:
        v = node.args[0]
        if isinstance(v, (bool, int, float)):
            return v
    return None


def _out_of_place(op: Any) -> Any:
    """aten.clamp_min_.Tensor -> aten.clamp_min.Tensor; None for an op that mutates nothing."""
    if not isinstance(op, torch._ops.OpOverload):
        return None
    name = op._overloadpacket.__name__
    if not name.endswith("_") or name.startswith("_") or not op._schema.arguments or not op._schema.arguments[0].is_write:
        return None
    packet = getattr(torch.ops.aten, name[:-1], None)
    overload = getattr(packet, op._overloadname, None) if packet is not None else None
    if overload is None:
        raise RuntimeError(f"no out-of-place form of {op}")
    return overload


def _expand(gm: torch.fx.GraphModule, node: torch.fx.Node, fn: Any, args: tuple[Any, ...] | None = None) -> None:
    """Replaces `node` by the graph of fn(node's arguments) (or of fn(args)), traced on the graph's
    own fake values."""
    import torch.utils._pytree as pytree
    from torch._guards import detect_fake_mode
    from torch.fx.experimental.proxy_tensor import make_fx

    flat, spec = pytree.tree_flatten((node.args, node.kwargs) if args is None else (args, {}))
    where = [i for i, a in enumerate(flat) if isinstance(a, torch.fx.Node)]
    vals = [flat[i].meta["val"] for i in where]

    def call(*ts: Any) -> Any:
        args = list(flat)
        for i, t in zip(where, ts):
            args[i] = t
        a, k = pytree.tree_unflatten(args, spec)
        r = fn(*a, **k)
        # a named tuple (var_mean's) would be traced as a call of its constructor
        return tuple(r) if isinstance(r, tuple) else r

    fake = detect_fake_mode(vals) or contextlib.nullcontext()
    with fake:
        sub = make_fx(call, tracing_mode="real")(*vals)
    g = gm.graph
    env: dict[Any, Any] = {}
    phs = [n for n in sub.graph.nodes if n.op == "placeholder"]
    for p, i in zip(phs, where):
        env[p] = flat[i]
    result: Any = None
    added: list[torch.fx.Node] = []
    with g.inserting_before(node):
        for n in sub.graph.nodes:
            if n.op == "placeholder":
                continue
            if n.op == "output":
                result = pytree.tree_map(lambda x: env[x] if isinstance(x, torch.fx.Node) else x, n.args[0])
                continue
            if _scalar_of(n) is not None:
                env[n] = _scalar_of(n)  # a constant, not a tensor to compute
                continue
            inplace = _out_of_place(n.target)
            if inplace is not None:
                # an in-place step of the decomposition (clamp_min_ on a fresh clone) becomes its
                # out-of-place form; later readers of the mutated tensor read the new value
                target = n.args[0]
                if not isinstance(target, torch.fx.Node) or target.op == "placeholder":
                    raise RuntimeError(f"the decomposition of {node.target} mutates its input ({n.target})")
                new = g.call_function(inplace, tuple(pytree.tree_map(lambda x: env[x] if isinstance(x, torch.fx.Node) else x, n.args)),
                                      {k: env[v] if isinstance(v, torch.fx.Node) else v for k, v in n.kwargs.items()})
                env[target] = new
            elif n.target is torch.ops.aten._safe_softmax.default and fn is _attention_math:
                # the reference attention's softmax; unmasked, so no row is entirely -inf and it
                # is the plain softmax
                new = g.call_function(torch.ops.aten._softmax.default, (env[n.args[0]], n.args[1], False))
            else:
                new = g.node_copy(n, lambda x: env[x])
            added.append(new)
            # the new nodes belong to the problem's line (and module) the composite op came from
            new.meta = {**n.meta, "stack_trace": node.meta.get("stack_trace"),
                        "nn_module_stack": node.meta.get("nn_module_stack")}
            env[n] = new
    if isinstance(result, (list, tuple)):
        for user in list(node.users):
            if user.target is not operator.getitem:
                raise RuntimeError(f"{node.target} returns several tensors and is used whole")
            user.replace_all_uses_with(result[user.args[1]])
            g.erase_node(user)
    elif isinstance(result, torch.fx.Node):
        node.replace_all_uses_with(result)
    else:
        raise RuntimeError(f"the decomposition of {node.target} does not return a tensor")
    g.erase_node(node)
    # steps of the decomposition whose value nothing reads (a cast the reference form returns
    # alongside) would become kernels with no purpose
    for n in reversed(added):
        if not n.users and not n.is_impure():
            g.erase_node(n)


def _diag_vector(n: Any) -> Any:
    """The vector v when n is torch.diag(v) (main diagonal), else None."""
    if not isinstance(n, torch.fx.Node) or n.target is not torch.ops.aten.diag.default:
        return None
    v = n.args[0]
    offset = n.kwargs.get("diagonal", n.args[1] if len(n.args) > 1 else 0)
    val = v.meta.get("val") if isinstance(v, torch.fx.Node) else None
    return v if offset == 0 and isinstance(val, torch.Tensor) and val.dim() == 1 else None


def rewrite_diag_products(ep: Any) -> list[str]:
    """diag(v) @ B is v[:, None] * B, and A @ diag(v) is A * v: an elementwise product instead of a
    matrix product with a mostly-zero matrix (the same values; only an inf or nan in B would spread
    along its column in the matrix product, as 0 * inf)."""
    done: list[str] = []
    products = {torch.ops.aten.matmul.default, torch.ops.aten.mm.default}
    for n in list(ep.graph.nodes):
        if n.op != "call_function" or n.target not in products or len(n.args) != 2:
            continue
        a, b = n.args
        if (v := _diag_vector(a)) is not None and b.meta["val"].dim() == 2:
            _expand(ep.graph_module, n, lambda v, b: v.unsqueeze(-1) * b, (v, b))
        elif (v := _diag_vector(b)) is not None and a.meta["val"].dim() == 2:
            _expand(ep.graph_module, n, lambda a, v: a * v, (a, v))
        else:
            continue
        done.append(f"{n.target} of diag")
    for n in list(ep.graph.nodes):
        if n.op == "call_function" and n.target is torch.ops.aten.diag.default and not n.users:
            ep.graph.erase_node(n)
    return done


# ops whose result shares storage with their first argument: a mutation through one is seen by both
_VIEW_OPS = {"view", "_unsafe_view", "alias", "as_strided", "slice", "select", "narrow", "transpose", "t", "permute",
             "expand", "unsqueeze", "squeeze", "unflatten", "flatten", "reshape", "diagonal", "unfold", "split",
             "chunk", "unbind", "view_as", "expand_as", "detach", "movedim", "swapaxes", "split_with_sizes"}


def _is_view(n: Any) -> bool:
    t = getattr(n, "target", None)
    return isinstance(t, torch._ops.OpOverload) and t._overloadpacket.__name__ in _VIEW_OPS or t is operator.getitem


# A 0-d constant the model makes in forward (`torch.tensor(0.5)`) used in one of these is that
# number: the operator's scalar form takes it directly.
_SCALAR_FORMS = {
    torch.ops.aten.minimum.default: torch.ops.aten.clamp_max.default,
    torch.ops.aten.maximum.default: torch.ops.aten.clamp_min.default,
    torch.ops.aten.min.other: torch.ops.aten.clamp_max.default,
    torch.ops.aten.max.other: torch.ops.aten.clamp_min.default,
    torch.ops.aten.add.Tensor: torch.ops.aten.add.Tensor,
    torch.ops.aten.sub.Tensor: torch.ops.aten.sub.Tensor,
    torch.ops.aten.mul.Tensor: torch.ops.aten.mul.Tensor,
    torch.ops.aten.div.Tensor: torch.ops.aten.div.Tensor,
}
_SYMMETRIC = {torch.ops.aten.minimum.default, torch.ops.aten.maximum.default, torch.ops.aten.min.other,
              torch.ops.aten.max.other, torch.ops.aten.add.Tensor, torch.ops.aten.mul.Tensor}
# Steps that pass the constant on unchanged (export detaches the fresh copy).
_SAME_VALUE = {torch.ops.aten.detach.default, torch.ops.aten.detach_.default, torch.ops.aten.alias.default,
               torch.ops.aten.clone.default}


def fold_scalar_constants(ep: Any) -> list[str]:
    """`torch.tensor(c)` in forward reaches the graph as a lifted constant and a `lift_fresh_copy`;
    where the copy is a 0-d tensor read by an operator with a scalar form (minimum, maximum,
    arithmetic), the operator takes the number instead (`minimum(x, c)` is `clamp_max(x, c)`).
    Returns the operators rewritten."""
    g, done = ep.graph, []
    constants = getattr(ep, "constants", {}) or {}
    targets = {spec.arg.name: spec.target for spec in ep.graph_signature.input_specs if spec.kind.name == "CONSTANT_TENSOR"}
    for n in list(g.nodes):
        if n.op != "call_function" or n.target is not torch.ops.aten.lift_fresh_copy.default:
            continue
        src = n.args[0]
        value = constants.get(targets.get(getattr(src, "name", None)))
        if not isinstance(value, torch.Tensor) or value.dim() != 0:
            continue
        number, chain = value.item(), [n]
        while len(chain[-1].users) == 1 and next(iter(chain[-1].users)).target in _SAME_VALUE:
            chain.append(next(iter(chain[-1].users)))
        last = chain[-1]
        for u in list(last.users):
            form = _SCALAR_FORMS.get(u.target) if u.op == "call_function" else None
            if form is None or len(u.args) != 2 or u.kwargs:
                continue
            a, b = u.args
            if b is last and a is not last:
                args = (a, number)
            elif a is last and b is not last and u.target in _SYMMETRIC:
                args = (b, number)
            else:
                continue
            with g.inserting_before(u):
                new = g.call_function(form, args)
            new.meta = dict(u.meta)
            u.replace_all_uses_with(new)
            g.erase_node(u)
            done.append(str(u.target))
        for step in reversed(chain):
            if not step.users:
                g.erase_node(step)
    if done:
        g.lint()
        ep.graph_module.recompile()
    return done


def functionalize_inplace(ep: Any) -> list[str]:
    """In-place steps on intermediate tensors (`nn.ReLU(inplace=True)`, `x.add_(y)` on a fresh
    result) become their out-of-place forms, and later readers of the mutated tensor read the new
    value. A mutation of a model input, parameter or buffer, or of a tensor that shares storage
    with another (a view, or one a view was taken of), stays as captured: its effect reaches beyond
    the one value. Returns the operators rewritten."""
    g = ep.graph
    order = {n: i for i, n in enumerate(g.nodes)}
    done = []
    for n in list(g.nodes):
        if n.op != "call_function":
            continue
        try:
            functional = _out_of_place(n.target)
        except RuntimeError:
            continue
        target = n.args[0] if n.args else None
        if functional is None or not isinstance(target, torch.fx.Node) or target.op == "placeholder" or _is_view(target):
            continue
        if any(_is_view(u) for u in target.users if u is not n):
            continue
        with g.inserting_before(n):
            new = g.call_function(functional, n.args, n.kwargs)
        new.meta = dict(n.meta)
        for u in [u for u in target.users if u is not n and order.get(u, -1) > order[n]]:
            u.replace_input_with(target, new)
        n.replace_all_uses_with(new)
        g.erase_node(n)
        done.append(str(n.target))
    if done:
        g.lint()
        ep.graph_module.recompile()
    return done


# Checks export inserts before a cast (`x.half()`, `x.to(dtype)`): they assert the traced input's
# dtype and layout at run time and compute nothing; the kernels are specialised to them anyway.
METADATA_ASSERTS = ("_assert_tensor_metadata",)


def drop_metadata_asserts(ep: Any) -> None:
    g = ep.graph
    for n in list(g.nodes):
        if n.op == "call_function" and not n.users and _op_name(n.target)[0] in METADATA_ASSERTS:
            g.erase_node(n)
    g.lint()


def decompose_selected(ep: Any) -> list[str]:
    """Replaces DECOMPOSE_OPS nodes of the exported graph by their decompositions, in place, until
    none is left (a decomposition may itself use one). Returns the operators replaced."""
    done = rewrite_diag_products(ep)
    for _ in range(8):
        todo = [(n, fn) for n in ep.graph.nodes if n.op == "call_function" and (fn := _decomposition(n.target, n))]
        if not todo:
            break
        for n, fn in todo:
            _expand(ep.graph_module, n, fn)
            done.append(str(n.target))
    ep.graph.lint()
    ep.graph_module.recompile()
    return done


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--problem", required=True, help="path of the KernelBench-format problem file")
    parser.add_argument("--set", dest="sets", action="append", default=[], metavar="NAME=VALUE",
                        help="override a module constant of the problem before it is used")


def _load(path: str, sets: dict[str, str]) -> Any:
    from .problem import load_problem  # the harness's shared loader (constant overrides included)

    return load_problem(path, sets, module_name="tritonize_capture_problem")


def _failure_text(e: BaseException) -> str:
    """A harness Failure renders its own message; anything else is named with its type."""
    from .failure import Failure

    if isinstance(e, Failure):
        from .messages import render

        return render(e.code, e.details)
    return f"{type(e).__name__}: {e}"


def _dtype(dt: torch.dtype) -> str:
    return str(dt).replace("torch.", "")


def _tensor_meta(t: torch.Tensor) -> dict[str, Any]:
    return {"shape": list(t.shape), "dtype": _dtype(t.dtype), "strides": list(t.stride()),
            "contiguous": bool(t.is_contiguous())}


def _json_const(v: Any) -> Any:
    """A constant argument as JSON: numbers, bools, None, lists, and tagged dtypes/devices/layouts."""
    if v is None or isinstance(v, (bool, int, str)):
        return v
    if isinstance(v, float):
        if v != v or v in (float("inf"), float("-inf")):
            return {"float": str(v)}
        return v
    if isinstance(v, (list, tuple)):
        return [_json_const(x) for x in v]
    if isinstance(v, torch.dtype):
        return {"dtype": _dtype(v)}
    if isinstance(v, torch.device):
        return {"device": str(v)}
    if isinstance(v, (torch.layout, torch.memory_format)):
        return {"enum": str(v)}
    return {"repr": repr(v)}


def _op_name(target: Any) -> tuple[str, str]:
    """(normalised op name, full target name) of a call_function target."""
    if target is operator.getitem:
        return "getitem", "operator.getitem"
    if isinstance(target, torch._ops.OpOverload):
        packet = target._overloadpacket.__name__
        return packet, f"aten.{packet}.{target._overloadname}"
    name = getattr(target, "__name__", repr(target))
    return name, name


def _problem_frame(exc: BaseException, problem: Path) -> tuple[int | None, str | None]:
    """The deepest traceback line inside the problem file, as (line, code)."""
    line, code = None, None
    for fr in traceback.extract_tb(exc.__traceback__):
        if Path(fr.filename).resolve() == problem:
            line, code = fr.lineno, (fr.line or "").strip()
    if line is None:
        # torch.export puts the user frame in the message: 'File "...", line N, in forward'
        text = str(exc)
        marker = f'File "{problem}", line '
        i = text.rfind(marker)
        if i >= 0:
            rest = text[i + len(marker):]
            num = rest.split(",", 1)[0]
            if num.isdigit():
                line = int(num)
                try:
                    code = problem.read_text().splitlines()[line - 1].strip()
                except (OSError, IndexError):
                    code = None
    return line, code


def _classify_trace_error(exc: BaseException) -> str:
    name = type(exc).__name__
    text = str(exc)
    if "data-dependent" in text or "DataDependent" in name:
        return "data-dependent control flow (a Python branch or value depends on tensor contents)"
    if "Unsupported" in name:
        return "a Python construct the tracer does not support"
    return f"{name}"


def _init_source(model_cls: type, module: Any) -> dict[str, Any]:
    """Model.__init__'s source (so ModelNew can create the same parameters in the same order) and
    the module-level constants it reads."""
    try:
        src = textwrap.dedent(inspect.getsource(model_cls.__init__))
    except (OSError, TypeError) as e:
        return {"source": None, "constants": {}, "unresolved": [], "error": f"no source for Model.__init__: {e}"}
    code = model_cls.__init__.__code__
    names: set[str] = set(code.co_names)
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            names |= set(c.co_names)
    constants: dict[str, Any] = {}
    unresolved: list[str] = []
    for n in sorted(names):
        if n.startswith("__") or n in ("super", "torch", "nn", "F", "math", "Model") or not hasattr(module, n):
            continue
        v = getattr(module, n)
        if isinstance(v, (bool, int, float, str, tuple, list)) and not isinstance(v, types.ModuleType):
            constants[n] = v
        elif isinstance(v, types.ModuleType):
            continue
        else:
            unresolved.append(n)
    return {"source": src, "constants": constants, "unresolved": unresolved, "error": None}


def _shaped_inputs(loaded: Any) -> list[Any]:
    """The problem's inputs with their shapes, dtypes and strides but not their values: export
    traces with fake tensors and capture reads no value, while filling KernelBench's level-1
    inputs (up to 8 GB) on the CPU took most of a capture. get_inputs runs on the meta device and
    each tensor it makes becomes an uninitialised CPU tensor of the same layout (untouched memory);
    a get_inputs that cannot run there (it reads a value) runs for real."""
    try:
        with torch.device("meta"):
            shaped = list(loaded.get_inputs())
    except Exception:
        return list(loaded.get_inputs())

    def on_cpu(x: Any) -> Any:
        if not isinstance(x, torch.Tensor) or x.device.type != "meta":
            return x
        return torch.empty_strided(x.shape, x.stride(), dtype=x.dtype, requires_grad=x.requires_grad)

    return [on_cpu(x) for x in shaped]


def _cumulative_batch_norm(model: Any) -> str | None:
    """The name of a training-mode BatchNorm with momentum=None that tracks running statistics."""
    for name, m in model.named_modules():
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm) and m.training and m.momentum is None and m.track_running_stats:
            return f"{type(m).__name__} '{name or 'the model'}'"
    return None


def capture(problem_path: str, sets: dict[str, str] | None = None) -> dict[str, Any]:
    problem = Path(problem_path).resolve()
    base: dict[str, Any] = {"schema": SCHEMA, "problem": str(problem)}
    try:
        loaded = _load(str(problem), sets or {})
    except Exception as e:  # the problem file itself fails: a load error, reported as data
        return {**base, "ok": False, "code": "load_failed",
                "message": f"could not load {problem.name}: {_failure_text(e)}", "line": getattr(e, "line", None)}

    torch.manual_seed(0)
    try:
        init_inputs = list(loaded.get_init_inputs())
        model = loaded.Model(*init_inputs)
        inputs = _shaped_inputs(loaded)
    except Exception as e:
        line, code = _problem_frame(e, problem)
        return {**base, "ok": False, "code": "load_failed", "line": line,
                "message": f"building the model or its inputs failed: {type(e).__name__}: {e}"}

    tensor_inputs = [x for x in inputs if isinstance(x, torch.Tensor)]
    cumulative = _cumulative_batch_norm(model)
    if cumulative:
        return {**base, "ok": False, "code": "trace_failed", "line": None,
                "message": f"tracing failed: {cumulative} is a BatchNorm with momentum=None in training mode: its "
                           "running statistics are a cumulative average whose factor, 1/num_batches_tracked, is read "
                           "from a tensor on every call, which a captured graph cannot hold. Give it a momentum, or "
                           "call .eval() on the model if the batch statistics are not wanted."}
    try:
        ep = torch.export.export(model, tuple(inputs), strict=False)
    except Exception as e:
        line, code = _problem_frame(e, problem)
        why = _classify_trace_error(e)
        where = f" at line {line} of {problem.name}" + (f" ({code})" if code else "") if line else ""
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        return {**base, "ok": False, "code": "trace_failed", "line": line,
                "message": f"tracing failed: {why}{where}: {first}"}

    try:
        decomposed = decompose_selected(ep)
        decompose_error = None
    except Exception as e:  # the composite ops stay whole; the author names the one it lacks
        decomposed = []
        decompose_error = f"{type(e).__name__}: {e}"
        ep = torch.export.export(model, tuple(inputs), strict=False)
    decomposed += functionalize_inplace(ep)
    decomposed += fold_scalar_constants(ep)
    drop_metadata_asserts(ep)

    sig = ep.graph_signature
    # placeholder name -> (kind, target)
    ph_kind: dict[str, tuple[str, str]] = {}
    for spec in sig.input_specs:
        kind = spec.kind.name  # PARAMETER, BUFFER, USER_INPUT, CONSTANT_TENSOR
        ph_kind[spec.arg.name] = (kind, spec.target or spec.arg.name)

    named_modules = dict(model.named_modules())
    state = {**dict(model.named_parameters()), **dict(model.named_buffers())}

    def owner(target: str) -> tuple[str, str, bool]:
        path = target.rsplit(".", 1)[0] if "." in target else ""
        m = named_modules.get(path, model)
        return path, type(m).__module__ + "." + type(m).__name__, bool(m.training)

    inputs_doc: list[dict[str, Any]] = []
    params_doc: list[dict[str, Any]] = []
    ref_of: dict[str, dict[str, str]] = {}
    user_index = 0
    for node in ep.graph.nodes:
        if node.op != "placeholder":
            continue
        kind, target = ph_kind.get(node.name, ("USER_INPUT", node.name))
        val = node.meta.get("val")
        if kind == "USER_INPUT":
            # user inputs appear in forward's order; a Python number among them is a scalar input
            real = inputs[user_index] if user_index < len(inputs) else val
            if isinstance(real, torch.Tensor):
                inputs_doc.append({"id": node.name, "index": user_index, **_tensor_meta(real), "scalar": None})
            elif isinstance(real, (bool, int, float)):
                inputs_doc.append({"id": node.name, "index": user_index, "shape": [], "strides": [],
                                   "dtype": "float32" if isinstance(real, float) else "int64",
                                   "contiguous": True, "scalar": real})
            else:
                inputs_doc.append({"id": node.name, "index": user_index, **_tensor_meta(val), "scalar": None})
            user_index += 1
            ref_of[node.name] = {"input": node.name}
        elif kind in ("PARAMETER", "BUFFER", "CONSTANT_TENSOR"):
            t = state.get(target, val)
            path, mtype, training = owner(target)
            params_doc.append({
                "id": node.name, "name": target,
                "kind": {"PARAMETER": "parameter", "BUFFER": "buffer"}.get(kind, "constant"),
                **_tensor_meta(t), "module": path, "moduleType": mtype, "training": training,
            })
            ref_of[node.name] = {"param": node.name}
        else:
            ref_of[node.name] = {"input": node.name}

    def enc(a: Any) -> Any:
        if isinstance(a, torch.fx.Node):
            return ref_of.get(a.name, {"node": a.name})
        if isinstance(a, (list, tuple)):
            return [enc(x) for x in a]
        return _json_const(a)

    nodes_doc: list[dict[str, Any]] = []
    for node in ep.graph.nodes:
        if node.op != "call_function":
            continue
        op, target = _op_name(node.target)
        val = node.meta.get("val")
        doc: dict[str, Any] = {"id": node.name, "op": op, "target": target,
                               "args": [enc(a) for a in node.args],
                               "kwargs": {k: enc(v) for k, v in node.kwargs.items()},
                               "view": op in VIEW_OPS}
        if isinstance(val, torch.Tensor):
            doc.update(_tensor_meta(val))
            doc["outputs"] = None
        elif isinstance(val, (list, tuple)):
            doc.update({"shape": None, "dtype": None, "strides": None, "contiguous": None})
            doc["outputs"] = [_tensor_meta(v) if isinstance(v, torch.Tensor) else None for v in val]
        else:
            doc.update({"shape": None, "dtype": None, "strides": None, "contiguous": None, "outputs": None})
        stack = node.meta.get("nn_module_stack") or {}
        if stack:
            last_path, last_type = list(stack.values())[-1]
            path = last_path if isinstance(last_path, str) else str(last_path)
            path = path.replace("L['self'].", "").replace("L__self___", "")
            m = named_modules.get(path)
            doc["module"] = path
            doc["moduleType"] = (type(m).__module__ + "." + type(m).__name__) if m is not None else str(last_type)
            doc["training"] = bool(m.training) if m is not None else None
        else:
            doc["module"], doc["moduleType"], doc["training"] = None, None, None
        frame = node.meta.get("stack_trace") or ""
        doc["line"] = None
        for ln in frame.splitlines():
            ln = ln.strip()
            if ln.startswith(f'File "{problem}", line '):
                num = ln.split("line ", 1)[1].split(",", 1)[0]
                if num.isdigit():
                    doc["line"] = int(num)
        nodes_doc.append(doc)
        ref_of[node.name] = {"node": node.name}

    outputs_doc: list[Any] = []
    mutations: list[dict[str, str]] = []
    out_node = next(n for n in ep.graph.nodes if n.op == "output")
    out_args = out_node.args[0]
    for spec, arg in zip(sig.output_specs, out_args):
        kind = spec.kind.name
        if kind == "USER_OUTPUT":
            outputs_doc.append(enc(arg))
        elif kind == "BUFFER_MUTATION":
            mutations.append({"buffer": spec.target or "", "value": (enc(arg) or {}).get("node", "")})

    # the original forward returns a tensor or a tuple: record which so ModelNew matches
    try:
        returns_tuple = _forward_returns_tuple(loaded.Model)
    except (OSError, TypeError, SyntaxError):  # no source to read: the output count decides
        returns_tuple = False

    return {
        **base, "ok": True,
        "training": bool(model.training),
        "initInputs": [_json_const(v) for v in init_inputs],
        "init": _init_source(loaded.Model, loaded.module),
        "inputs": inputs_doc,
        # inputs forward receives that the traced graph does not read (baked in by the tracer)
        "nonTensorInputs": [{"index": i, "value": _json_const(v)} for i, v in enumerate(inputs)
                            if not isinstance(v, torch.Tensor) and i not in {d["index"] for d in inputs_doc}],
        "params": params_doc,
        "nodes": nodes_doc,
        "outputs": outputs_doc,
        "returnsTuple": returns_tuple or len(outputs_doc) > 1,
        "mutations": mutations,
        "decomposed": decomposed,
        "decomposeError": decompose_error,
        "torch": torch.__version__,
    }


def _forward_returns_tuple(model_cls: type) -> bool:
    """True when forward's return statements build a tuple (so a 1-tuple stays a tuple)."""
    src = textwrap.dedent(inspect.getsource(model_cls.forward))
    tree = ast.parse(src)
    for n in ast.walk(tree):
        if isinstance(n, ast.Return) and isinstance(n.value, (ast.Tuple, ast.List)):
            return True
    return False


def run(args: argparse.Namespace) -> dict[str, Any]:
    from .problem import parse_sets

    try:
        sets = parse_sets(args.sets)
    except Exception as e:
        return {"schema": SCHEMA, "ok": False, "code": "bad_arguments", "message": _failure_text(e), "line": None,
                "problem": args.problem}
    return capture(args.problem, sets)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tritonize_harness.capture", description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    args = parser.parse_args(argv)
    # tracing may print (graphs, warnings); stdout carries only the one JSON document
    with contextlib.redirect_stdout(sys.stderr):
        doc = run(args)
    sys.stdout.write(json.dumps(doc) + "\n")
    return 0 if doc.get("ok") else 1


if __name__ == "__main__":
    sys.exit(main())
