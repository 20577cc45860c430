"""BatchNorm in a captured region: folded into the layer before it in eval mode, reduced to what
the output depends on in training mode.

A region's captured graph is rewritten before it becomes a functional problem:

- eval mode (`batch_norm(..., training=False)` right after a linear or convolution that nothing
  else reads): the normalisation is an affine map per output channel, so the layer takes a folded
  weight and bias instead, `computed` values that ModelNew derives from the registered parameters
  and running statistics on every call with two small Triton kernels (`FOLD_HELPERS`, embedded in
  composed.py). The kernel of the subgraph is then a plain linear or convolution.
- training mode: the output depends on the batch's statistics only, so the running statistics are
  dropped from the call, and the update of `num_batches_tracked` (an in-place add on a counter no
  output reads) is removed. The running statistics are not written back (docs/pipeline.md).
"""
from __future__ import annotations

from typing import Any, Callable

import torch

_BN = torch.ops.aten.batch_norm.default
_LAYERS = {torch.ops.aten.linear.default, torch.ops.aten.conv1d.default, torch.ops.aten.conv2d.default,
           torch.ops.aten.conv3d.default}
_ADD_ = torch.ops.aten.add_.Tensor

FOLD_HELPERS = '''
# ---- BatchNorm (eval mode) folded into the layer before it, from the current parameters and buffers ----
@triton.jit
def _tz_fold_scale_kernel(w_ptr, g_ptr, var_ptr, out_ptr, per_channel, eps, HAS_G: tl.constexpr, BLOCK: tl.constexpr):
    c = tl.program_id(0)
    offs = tl.program_id(1) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < per_channel
    s = 1.0 / tl.sqrt(tl.load(var_ptr + c) + eps)
    if HAS_G:
        s = s * tl.load(g_ptr + c)
    w = tl.load(w_ptr + c * per_channel + offs, mask=mask, other=0.0)
    tl.store(out_ptr + c * per_channel + offs, w * s, mask=mask)


@triton.jit
def _tz_fold_shift_kernel(b_ptr, g_ptr, beta_ptr, mean_ptr, var_ptr, out_ptr, channels, eps,
                          HAS_B: tl.constexpr, HAS_G: tl.constexpr, HAS_BETA: tl.constexpr, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < channels
    s = 1.0 / tl.sqrt(tl.load(var_ptr + offs, mask=mask, other=1.0) + eps)
    if HAS_G:
        s = s * tl.load(g_ptr + offs, mask=mask, other=0.0)
    t = -tl.load(mean_ptr + offs, mask=mask, other=0.0)
    if HAS_B:
        t = t + tl.load(b_ptr + offs, mask=mask, other=0.0)
    t = t * s
    if HAS_BETA:
        t = t + tl.load(beta_ptr + offs, mask=mask, other=0.0)
    tl.store(out_ptr + offs, t, mask=mask)


def _tz_fold_bn_weight(weight, gamma, running_var, eps):
    """weight * gamma / sqrt(running_var + eps), per output channel (dim 0)."""
    if not weight.is_contiguous():
        raise RuntimeError("_tz_fold_bn_weight: the layer's weight is not contiguous")
    out = torch.empty_like(weight)
    channels = weight.shape[0]
    per_channel = weight.numel() // channels
    block = min(1024, triton.next_power_of_2(per_channel))
    g = gamma if gamma is not None else running_var
    _tz_fold_scale_kernel[(channels, triton.cdiv(per_channel, block))](
        weight, g, running_var, out, per_channel, eps, HAS_G=gamma is not None, BLOCK=block)
    return out


def _tz_fold_bn_bias(bias, gamma, beta, running_mean, running_var, eps):
    """(bias - running_mean) * gamma / sqrt(running_var + eps) + beta, per channel."""
    out = torch.empty_like(running_mean)
    channels = running_mean.shape[0]
    block = min(1024, triton.next_power_of_2(channels))
    _tz_fold_shift_kernel[(triton.cdiv(channels, block),)](
        bias if bias is not None else running_mean, gamma if gamma is not None else running_var,
        beta if beta is not None else running_mean, running_mean, running_var, out, channels, eps,
        HAS_B=bias is not None, HAS_G=gamma is not None, HAS_BETA=beta is not None, BLOCK=block)
    return out
'''

def _placeholder(a: Any) -> bool:
    return isinstance(a, torch.fx.Node) and a.op == "placeholder"


def drop_training_state(graph: torch.fx.Graph, is_counter: Callable[[torch.fx.Node], bool]) -> None:
    """Training-mode BatchNorm: no running statistics in the call, no counter update."""
    for node in list(graph.nodes):
        if node.op != "call_function":
            continue
        if node.target is _ADD_ and not node.users and _placeholder(node.args[0]) and is_counter(node.args[0]):
            graph.erase_node(node)
        elif node.target is _BN and node.args[5] is True:
            node.args = (*node.args[:3], None, None, *node.args[5:])


def fold_eval_batch_norm(graph: torch.fx.Graph, tensor_of: Callable[[torch.fx.Node], torch.Tensor | None],
                         expr_of: Callable[[torch.fx.Node], str]) -> dict[str, dict[str, Any]]:
    """Eval-mode BatchNorm after a linear or convolution, folded into the layer's weight and bias.
    Returns, per new placeholder's name, its value as captured and how ModelNew computes it."""
    folded: dict[str, dict[str, Any]] = {}
    first_op = next(n for n in graph.nodes if n.op != "placeholder")
    for bn in list(graph.nodes):
        if bn.op != "call_function" or bn.target is not _BN or bn.args[5] is not False:
            continue
        layer, gamma, beta, mean, var = bn.args[:5]
        eps = float(bn.args[7])
        if not (isinstance(layer, torch.fx.Node) and layer.target in _LAYERS and len(layer.users) == 1):
            continue
        w = layer.args[1]
        b = layer.args[2] if len(layer.args) > 2 else None
        operands = [w, mean, var] + [o for o in (b, gamma, beta) if o is not None]
        if not all(_placeholder(o) and tensor_of(o) is not None for o in operands):
            continue
        t = {o.name: tensor_of(o) for o in operands}
        e = lambda o: "None" if o is None else expr_of(o)  # noqa: E731
        scale = t[var.name].double().add(eps).rsqrt()
        if gamma is not None:
            scale = scale * t[gamma.name].double()
        w_val = (t[w.name].double() * scale.reshape(-1, *[1] * (t[w.name].dim() - 1))).to(t[w.name].dtype)
        shift = (t[b.name].double() if b is not None else 0.0) - t[mean.name].double()
        b_val = (shift * scale + (t[beta.name].double() if beta is not None else 0.0)).to(t[mean.name].dtype)
        with graph.inserting_before(first_op):
            w_new, b_new = graph.placeholder(f"tz_fold_w_{len(folded)}"), graph.placeholder(f"tz_fold_b_{len(folded)}")
        folded[w_new.name] = {"tensor": w_val, "expr": f"_tz_fold_bn_weight({e(w)}, {e(gamma)}, {e(var)}, {eps!r})",
                              "name": f"folded({e(w)}; {e(var)})"}
        folded[b_new.name] = {"tensor": b_val, "expr": f"_tz_fold_bn_bias({e(b)}, {e(gamma)}, {e(beta)}, {e(mean)}, {e(var)}, {eps!r})",
                              "name": f"folded({e(b)}; {e(mean)})"}
        layer.args = (layer.args[0], w_new, b_new, *layer.args[3:])
        bn.replace_all_uses_with(layer)
        graph.erase_node(bn)
    return folded
