"""Which aten operators a wrapper may run: allocation, views, metadata and same-dtype copies.

Everything else is arithmetic, which belongs in Triton kernels.
"""
from __future__ import annotations

ALLOCATION = {
    "empty", "empty_like", "empty_strided", "empty_permuted", "new_empty", "new_empty_strided",
    "zeros", "zeros_like", "new_zeros", "ones", "ones_like", "new_ones", "full", "full_like", "new_full",
    "zero_", "fill_", "scalar_tensor", "arange", "lift_fresh", "lift_fresh_copy", "resize_", "set_",
}
VIEWS = {
    "view", "_unsafe_view", "reshape", "_reshape_alias", "as_strided", "permute", "transpose", "t",
    "expand", "expand_as", "squeeze", "unsqueeze", "select", "slice", "narrow", "split",
    "split_with_sizes", "chunk", "unbind", "flatten", "unflatten", "movedim", "view_as", "alias",
    "detach", "swapaxes", "swapdims", "diagonal", "unfold", "view_as_real", "view_as_complex",
    "_conj", "conj", "resolve_conj", "resolve_neg", "real", "imag", "_neg_view", "numpy_T",
    "transpose_", "t_", "squeeze_", "unsqueeze_", "as_strided_", "_unsafe_split", "detach_",
}
METADATA = {
    "size", "stride", "sym_size", "sym_stride", "sym_numel", "sym_storage_offset", "numel", "dim",
    "is_contiguous", "storage_offset", "is_same_size", "_has_compatible_shallow_copy_type",
    "is_complex", "is_floating_point", "is_nonzero_meta", "record_stream", "_version",
}
# Copies are allowed when they keep the dtype and the device: `.contiguous()` and friends.
COPIES = {"clone", "copy_", "_to_copy", "to", "_copy_from", "_copy_from_and_resize", "contiguous", "cat", "stack"}
HOST_READS = {"_local_scalar_dense", "item", "is_nonzero", "equal"}


# Floating dtypes by precision; a cast to a lower rank than every input has loses precision.
FLOAT_RANK = {"torch.float64": 3, "torch.float32": 2, "torch.float16": 1, "torch.bfloat16": 1}
INTEGER = {"torch.int8", "torch.uint8", "torch.int16", "torch.int32", "torch.int64", "torch.bool"}


def cast_loses_precision(src: str, dst: str, input_dtypes: set[str]) -> bool:
    """Widening, integer and boolean casts are preparation; narrowing below the problem's own
    precision (fp32 -> fp16, fp16 -> bf16) or float -> integer computes in less precision."""
    if dst == src or dst in input_dtypes:
        return False
    if src in FLOAT_RANK and dst in FLOAT_RANK:
        floor = min((FLOAT_RANK[d] for d in input_dtypes if d in FLOAT_RANK), default=FLOAT_RANK[src])
        # below every input's precision, or sideways between fp16 and bf16
        return FLOAT_RANK[dst] < floor or FLOAT_RANK[dst] == FLOAT_RANK[src]
    if src in FLOAT_RANK and dst in INTEGER:
        return True
    return False


def op_name(func) -> str:
    """'aten.mm' style name of an OpOverload."""
    packet = getattr(func, "_overloadpacket", None)
    base = getattr(packet, "__name__", None) or str(func).split(".")[0]
    namespace = getattr(func, "namespace", "aten")
    return f"{namespace}.{base}"


def base_name(name: str) -> str:
    return name.split(".", 1)[1] if "." in name else name


def classify(name: str) -> str:
    """'allocation' | 'view' | 'metadata' | 'copy' | 'host_read' | 'custom' | 'compute'.

    'custom' is an operator registered outside aten (e.g. a torch.library.triton_op wrapping a
    Triton kernel): allowed itself, and judged by what it runs, which the profiler records."""
    base = base_name(name)
    if not name.startswith("aten."):
        return "custom"
    if base in ALLOCATION:
        return "allocation"
    if base in VIEWS:
        return "view"
    if base in METADATA:
        return "metadata"
    if base in COPIES:
        return "copy"
    if base in HOST_READS:
        return "host_read"
    return "compute"
