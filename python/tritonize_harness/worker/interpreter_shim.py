"""What Triton's CPU interpreter lacks and the compiler has, filled in for the interpreter worker only.

- `triton.language.extra.libdevice` is a module of stubs that the GPU backends replace; under the
  interpreter every call returns None. Here the common functions get NumPy implementations.
- A Python float passed to a kernel is an fp32 scalar to the compiler (it has `.to`, `.dtype`); the
  interpreter passes the bare float. Here it becomes an fp32 scalar, as compiled.
- The interpreter holds bfloat16 values as their uint16 bit patterns and `tl.dot` converts only
  8-bit floats before NumPy's matmul, so a bfloat16 product multiplies the bit patterns (results
  near 1e10). Here bfloat16 operands are widened to fp32 first: a product of two bfloat16 values
  is exact in fp32, as on the tensor cores, which accumulate in fp32.

Anything still missing is named by `interpreter_limitation`, so the CPU verdict says the
interpreter could not run the kernel rather than blaming the candidate.
"""
from __future__ import annotations

import math

import numpy as np

_UNARY = {
    "abs": np.abs, "floor": np.floor, "ceil": np.ceil, "trunc": np.trunc, "rint": np.rint,
    "nearbyint": np.rint, "exp": np.exp, "exp2": np.exp2, "expm1": np.expm1,
    "exp10": lambda x: np.power(np.asarray(10, x.dtype), x), "log": np.log, "log2": np.log2,
    "log10": np.log10, "log1p": np.log1p, "sqrt": np.sqrt, "sqrt_rn": np.sqrt, "cbrt": np.cbrt,
    "rsqrt": lambda x: 1 / np.sqrt(x), "rsqrt_rn": lambda x: 1 / np.sqrt(x), "rcbrt": lambda x: 1 / np.cbrt(x),
    "rcp_rn": lambda x: 1 / x, "sin": np.sin, "cos": np.cos, "tan": np.tan, "asin": np.arcsin,
    "acos": np.arccos, "atan": np.arctan, "sinh": np.sinh, "cosh": np.cosh, "tanh": np.tanh,
    "asinh": np.arcsinh, "acosh": np.arccosh, "atanh": np.arctanh,
    "sinpi": lambda x: np.sin(np.pi * x), "cospi": lambda x: np.cos(np.pi * x),
    "erf": np.vectorize(math.erf, otypes=[np.float64]), "erfc": np.vectorize(math.erfc, otypes=[np.float64]),
    "lgamma": np.vectorize(math.lgamma, otypes=[np.float64]), "tgamma": np.vectorize(math.gamma, otypes=[np.float64]),
    "round": lambda x: np.sign(x) * np.floor(np.abs(x) + 0.5), "saturatef": lambda x: np.clip(x, 0, 1),
    "normcdf": np.vectorize(lambda v: 0.5 * math.erfc(-v / math.sqrt(2)), otypes=[np.float64]),
    "fast_expf": np.exp, "fast_logf": np.log, "fast_log2f": np.log2, "fast_log10f": np.log10,
    "fast_exp10f": lambda x: np.power(np.asarray(10, x.dtype), x), "fast_sinf": np.sin,
    "fast_cosf": np.cos, "fast_tanf": np.tan, "fast_tanhf": np.tanh,
}
_BINARY = {
    "pow": np.power, "fast_powf": np.power, "atan2": np.arctan2, "hypot": np.hypot, "fmod": np.fmod,
    "remainder": np.remainder, "copysign": np.copysign, "fdim": lambda a, b: np.maximum(a - b, 0),
    "div_rn": np.divide, "fast_dividef": np.divide, "add_rn": np.add, "sub_rn": np.subtract,
    "mul_rn": np.multiply, "nextafter": np.nextafter,
}
_TERNARY = {"fma": lambda a, b, c: a * b + c, "fma_rn": lambda a, b, c: a * b + c}
_PREDICATES = {"isnan": np.isnan, "isinf": np.isinf, "signbit": np.signbit,
               "finitef": np.isfinite, "isfinited": np.isfinite}

# Messages of the interpreter's own gaps (not the candidate's errors).
_GAP_MARKERS = (
    ("cannot convert None of type", "a libdevice function has no interpreter implementation (it returns None there)"),
    ("object has no attribute 'to'", "a scalar kernel argument is a bare Python value in the interpreter"),
    ("not supported in interpreter mode", "an operation the interpreter does not support"),
)


def _lift(fn, np_fn, arity: int, predicate: bool = False):
    import triton.language as tl
    from triton.runtime.interpreter import TensorHandle

    def call(*args, **_kwargs):
        args = args[:arity]
        ref = next(a for a in args if isinstance(a, tl.tensor))
        dtype = ref.handle.data.dtype
        data = [a.handle.data if isinstance(a, tl.tensor) else np.asarray(a, dtype=dtype) for a in args]
        out = np.asarray(np_fn(*data))
        scalar = tl.int1 if predicate else ref.dtype.scalar
        out = out.astype(bool if predicate else dtype)
        ty = tl.block_type(scalar, list(out.shape)) if isinstance(ref.type, tl.block_type) else scalar
        return tl.tensor(TensorHandle(out, scalar), ty)

    call.__name__ = fn.__name__
    call.__doc__ = "interpreter implementation of libdevice." + fn.__name__
    return call


def _fill_libdevice() -> None:
    from triton.language.extra import libdevice

    for table, arity, predicate in ((_UNARY, 1, False), (_BINARY, 2, False), (_TERNARY, 3, False),
                                    (_PREDICATES, 1, True)):
        for name, np_fn in table.items():
            stub = getattr(libdevice, name, None)
            if stub is not None:
                setattr(libdevice, name, _lift(stub, np_fn, arity, predicate))


def _float_arguments_as_fp32() -> None:
    import triton.language as tl
    from triton.runtime import interpreter

    original = interpreter._implicit_cvt

    def implicit_cvt(arg):
        if isinstance(arg, float):
            return tl.tensor(interpreter.TensorHandle(np.array([arg], dtype=np.float32), tl.float32), tl.float32)
        return original(arg)

    interpreter._implicit_cvt = implicit_cvt


def _bf16_as_fp32(data: np.ndarray) -> np.ndarray:
    """bfloat16 bit patterns (uint16) as the fp32 values they stand for: the high half of an fp32."""
    return (data.astype(np.uint32) << 16).view(np.float32)


def _bf16_dot_operands_as_fp32() -> None:
    import triton.language as tl
    from triton.runtime import interpreter

    original = interpreter.InterpreterBuilder.create_dot

    def create_dot(self, a, b, d, input_precision, max_num_imprecise_acc):
        if a.dtype.scalar == tl.bfloat16 or b.dtype.scalar == tl.bfloat16:
            widen = lambda h: interpreter.TensorHandle(_bf16_as_fp32(h.data), tl.float32) if h.dtype.scalar == tl.bfloat16 else h
            a, b = widen(a), widen(b)
        return original(self, a, b, d, input_precision, max_num_imprecise_acc)

    interpreter.InterpreterBuilder.create_dot = create_dot


def install() -> None:
    """Called by the CPU worker before the candidate is imported."""
    _fill_libdevice()
    _float_arguments_as_fp32()
    _bf16_dot_operands_as_fp32()


def interpreter_limitation(exc: BaseException) -> str | None:
    """What the interpreter lacked, when exc is one of its known gaps; None otherwise."""
    text = f"{type(exc).__name__}: {exc}"
    cause = exc.__cause__ or exc.__context__
    if cause is not None:
        text += f" {type(cause).__name__}: {cause}"
    for marker, what in _GAP_MARKERS:
        if marker in text:
            return what
    return None
