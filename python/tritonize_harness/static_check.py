"""A fast reading of the candidate's source before anything runs.

It rejects obvious escapes early with a precise line. It is not the authority: everything it
looks for is also stopped or recorded at runtime by the worker's guard (worker/guard.py), which is
what a candidate that slips past this reading meets.
"""
from __future__ import annotations

import ast
import sys

from .failure import Failure

# Modules a kernel wrapper has no business importing: each opens a way around the runtime checks.
# (os, sys and numpy are common in honest wrappers; what they could be used for is stopped at runtime.)
FORBIDDEN_MODULES = {
    "subprocess": "starting processes",
    "multiprocessing": "starting processes",
    "concurrent": "threads and processes",
    "threading": "threads escape the recorder",
    "_thread": "threads escape the recorder",
    "ctypes": "raw memory and foreign code",
    "cffi": "foreign code",
    "socket": "network access",
    "http": "network access",
    "urllib": "network access",
    "requests": "network access",
    "importlib": "dynamic imports",
    "builtins": "interpreter internals",
    "inspect": "reading other frames",
    "gc": "reaching other objects",
    "pickle": "arbitrary code execution",
    "marshal": "arbitrary code execution",
    "signal": "process control",
    "scipy": "computing outside Triton",
    "cupy": "computing outside Triton",
    "jax": "computing outside Triton",
    "numba": "computing outside Triton",
    "tritonize_harness": "the verifier itself",
}
ALLOWED_TORCH_SUBMODULES = ("torch", "torch.nn", "torch.nn.functional", "torch.nn.init", "torch.nn.parameter")

FORBIDDEN_CALLS = {
    "__import__": "dynamic imports",
    "eval": "running generated code",
    "exec": "running generated code",
    "compile": "running generated code",
    "open": "file access",
    "breakpoint": "debugger",
    "input": "reading stdin",
}

# Reflection with a literal name is judged like `obj.name`; with a computed name
# (`getattr(torch, device.type, None)`) what it reaches is judged at runtime.
REFLECTION = {"getattr", "setattr", "delattr", "hasattr"}

# torch attributes that reach compilers, foreign code or the interpreter's internals.
FORBIDDEN_TORCH_ATTRIBUTES = {
    "compile": "torch.compile writes its own kernels",
    "_dynamo": "torch.compile internals",
    "_inductor": "torch.compile internals",
    "jit": "TorchScript",
    "_C": "PyTorch's C internals",
    "ops": "raw operator dispatch",
    "cpp_extension": "compiling foreign code",
    "hub": "network access",
    "multiprocessing": "starting processes",
    "sys": "interpreter internals",
    "os": "process and file-system access",
    "_utils": "PyTorch internals",
    "utils": "PyTorch internals (including the verifier's observers)",
}

# Names that reach the interpreter's internals (other modules' globals, closures, code objects,
# every class) or a tensor's raw memory. Everyday ones (__dict__, __class__, __setattr__ as in
# `object.__setattr__(self, ...)`) are judged at runtime instead.
FORBIDDEN_DUNDERS = {
    "__import__", "__builtins__", "__globals__", "__subclasses__", "__code__", "__closure__",
    "__getattribute__", "__bases__", "__base__", "__mro__", "__reduce__", "__reduce_ex__", "__loader__", "__spec__",
    "__self__", "__array__", "__dlpack__", "__array_interface__", "__array_struct__",
    "__cuda_array_interface__",
}
# Under the CPU interpreter a kernel value's `.handle` holds a NumPy array: code reading it computes
# in NumPy inside a "kernel" that no GPU compiler would accept.
INTERPRETER_INTERNALS = {"handle": "a kernel value's interpreter data (NumPy), which compiled Triton does not have"}
FRAME_ATTRIBUTES = {"f_globals", "f_locals", "f_back", "f_builtins", "gi_frame", "cr_frame", "tb_frame", "tb_next"}


def _fail(code: str, line: int, **details) -> Failure:
    return Failure("static", code, {"line": line, **details}, line=line)


def parse_candidate(source: str, path: str) -> ast.Module:
    try:
        return ast.parse(source, filename=path)
    except SyntaxError as exc:
        raise Failure("load", "candidate_syntax", {"path": path, "lineno": exc.lineno, "msg": exc.msg},
                      line=exc.lineno) from exc


def triton_kernel_names(tree: ast.Module) -> list[str]:
    """Names of functions decorated with triton.jit (directly or under autotune/heuristics)."""
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            for dec in node.decorator_list:
                text = ast.unparse(dec)
                if "jit" in text:
                    names.append(node.name)
                    break
    return names


# Imports that bring no Triton kernels of their own: the standard library and the harness's stack.
_NOT_KERNEL_LIBRARIES = set(sys.stdlib_module_names) | {"torch", "triton", "numpy", "tritonize_harness", "__future__"}


def imported_libraries(tree: ast.Module) -> list[str]:
    """Installed packages the candidate imports (their @triton.jit kernels count as its kernels)."""
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            roots.add(node.module.split(".")[0])
    return sorted(r for r in roots if r not in _NOT_KERNEL_LIBRARIES)


def _check_import(module: str, line: int) -> None:
    root = module.split(".")[0]
    if root in FORBIDDEN_MODULES:
        raise _fail("forbidden_import", line, module=module, why=FORBIDDEN_MODULES[root])
    if root == "torch":
        parts = module.split(".")
        for part in parts[1:]:
            if part in FORBIDDEN_TORCH_ATTRIBUTES or part == "utils":
                raise _fail("forbidden_import", line, module=module,
                            why=FORBIDDEN_TORCH_ATTRIBUTES.get(part, "PyTorch internals"))


def _check_reflection(node: ast.Call, line: int, torch_aliases: set[str]) -> None:
    name = node.args[1] if len(node.args) > 1 else None
    if not (isinstance(name, ast.Constant) and isinstance(name.value, str)):
        return
    attr = name.value
    if attr in FORBIDDEN_DUNDERS or attr in FRAME_ATTRIBUTES or attr in INTERPRETER_INTERNALS:
        raise _fail("forbidden_attribute", line, name=attr, why="interpreter internals")
    target = node.args[0]
    if isinstance(target, ast.Name) and target.id in torch_aliases and attr in FORBIDDEN_TORCH_ATTRIBUTES:
        raise _fail("forbidden_attribute", line, name=f"torch.{attr}", why=FORBIDDEN_TORCH_ATTRIBUTES[attr])


def check_source(source: str, path: str) -> dict:
    """Raises a Failure for the first forbidden construct; returns what it learned otherwise."""
    tree = parse_candidate(source, path)
    torch_aliases = {"torch"}
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Import):
            for alias in node.names:
                _check_import(alias.name, line)
                if alias.name == "torch":
                    torch_aliases.add(alias.asname or "torch")
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                raise _fail("forbidden_import", line, module="." * node.level + module, why="relative imports")
            _check_import(module, line)
            if module == "torch":
                for alias in node.names:
                    if alias.name in FORBIDDEN_TORCH_ATTRIBUTES:
                        raise _fail("forbidden_import", line, module=f"torch.{alias.name}",
                                    why=FORBIDDEN_TORCH_ATTRIBUTES[alias.name])
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in FORBIDDEN_CALLS:
            raise _fail("forbidden_call", line, name=node.func.id, why=FORBIDDEN_CALLS[node.func.id])
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in REFLECTION:
            _check_reflection(node, line, torch_aliases)
        elif isinstance(node, ast.Name) and node.id in FORBIDDEN_DUNDERS:
            raise _fail("forbidden_attribute", line, name=node.id, why="interpreter internals")
        elif isinstance(node, ast.Attribute):
            if node.attr in FORBIDDEN_DUNDERS or node.attr in FRAME_ATTRIBUTES:
                raise _fail("forbidden_attribute", line, name=node.attr, why="interpreter internals")
            if node.attr in INTERPRETER_INTERNALS:
                raise _fail("forbidden_attribute", line, name=node.attr, why=INTERPRETER_INTERNALS[node.attr])
            if isinstance(node.value, ast.Name) and node.value.id in torch_aliases \
                    and node.attr in FORBIDDEN_TORCH_ATTRIBUTES:
                raise _fail("forbidden_attribute", line, name=f"torch.{node.attr}",
                            why=FORBIDDEN_TORCH_ATTRIBUTES[node.attr])
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if node.value in FORBIDDEN_DUNDERS:
                raise _fail("forbidden_attribute", line, name=node.value, why="interpreter internals")
    kernels = triton_kernel_names(tree)
    libraries = imported_libraries(tree)
    if not kernels and not libraries:
        raise Failure("static", "no_triton_kernel", {})
    has_model = any(isinstance(n, ast.ClassDef) and n.name == "ModelNew" for n in tree.body)
    has_fn = any(isinstance(n, ast.FunctionDef) and n.name == "kernel_function" for n in tree.body)
    return {"kernels": kernels, "libraries": libraries,
            "form": "ModelNew" if has_model else ("kernel_function" if has_fn else None)}
