"""Who is calling: the first frame outside the standard library, classified by where its code lives."""
from __future__ import annotations

import os
import site
import sys
import sysconfig

import torch
import triton

import tritonize_harness

_STDLIB = tuple(
    os.path.realpath(p) + os.sep
    for p in {sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["platstdlib"]}
)
# Installed libraries: only this interpreter's own site directories (a folder that merely has
# "site-packages" in its name, made by the candidate, is not one).
_SITE = tuple(sorted({
    os.path.realpath(p) + os.sep
    for p in [*site.getsitepackages(),
              sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]]
}))
_TRUSTED = {
    "triton": os.path.realpath(os.path.dirname(triton.__file__)) + os.sep,
    "torch": os.path.realpath(os.path.dirname(torch.__file__)) + os.sep,
    "harness": os.path.realpath(os.path.dirname(tritonize_harness.__file__)) + os.sep,
}
try:
    import numpy

    _TRUSTED["numpy"] = os.path.realpath(os.path.dirname(numpy.__file__)) + os.sep
except ImportError:  # pragma: no cover - numpy comes with torch
    pass

_cache: dict[str, str] = {}


def owner(filename: str) -> str:
    """'triton' | 'torch' | 'numpy' | 'harness' | 'library' (other installed packages) | 'stdlib' |
    'other' (the candidate, code made by exec, anything not installed)."""
    hit = _cache.get(filename)
    if hit is not None:
        return hit
    if filename.startswith("<frozen "):
        result = "stdlib"
    elif filename.startswith("<") or not filename:
        # "<string>" and the like is generated code: the standard library makes it on the
        # candidate's behalf (dataclasses, namedtuple, typing), so nothing vouches for it.
        result = "other"
    else:
        real = os.path.realpath(filename)
        result = "other"
        for name, root in _TRUSTED.items():
            if real.startswith(root):
                result = name
                break
        else:
            if real.startswith(_SITE):
                result = "library"
            elif real.startswith(_STDLIB):
                result = "stdlib"
    _cache[filename] = result
    return result


def caller(depth: int = 2) -> tuple[str, str, int]:
    """(owner, filename, line) of the innermost frame, from `depth` up, that is not standard library."""
    frame = sys._getframe(depth)
    while frame is not None:
        who = owner(frame.f_code.co_filename)
        if who != "stdlib":
            return who, frame.f_code.co_filename, frame.f_lineno
        frame = frame.f_back
    return "other", "?", 0


def culprit(depth: int = 2) -> tuple[str, str, int]:
    """Where a reported operation came from: the innermost frame of the candidate's own code or of an
    installed library, else the innermost non-standard-library frame."""
    frame = sys._getframe(depth)
    while frame is not None:
        who = owner(frame.f_code.co_filename)
        if who in ("other", "library"):
            return who, frame.f_code.co_filename, frame.f_lineno
        frame = frame.f_back
    return caller(depth + 1)


def actor(depth: int = 2) -> str:
    """Who an operation is done for: the innermost frame that is not the standard library, torch or
    numpy (which act on their caller's behalf): 'harness', 'triton', 'library' or 'other'."""
    frame = sys._getframe(depth)
    while frame is not None:
        who = owner(frame.f_code.co_filename)
        if who not in ("stdlib", "torch", "numpy"):
            return who
        frame = frame.f_back
    return "other"


def importer(depth: int = 2) -> str:
    """Owner of the code whose import statement is running: the first frame outside the import
    machinery (a standard-library module importing its own helpers is not the candidate's import)."""
    frame = sys._getframe(depth)
    while frame is not None and frame.f_code.co_filename.startswith("<frozen importlib"):
        frame = frame.f_back
    return owner(frame.f_code.co_filename) if frame is not None else "other"


def direct(depth: int = 2) -> tuple[str, str]:
    """(owner, filename) of the innermost Python frame from `depth` up, standard library included."""
    frame = sys._getframe(depth)
    return owner(frame.f_code.co_filename), frame.f_code.co_filename


def is_trusted_path(path: str) -> bool:
    """A file that owner() would vouch for: the standard library or an installed package."""
    return owner(path) != "other"


def stack_summary(depth: int = 2, limit: int = 8) -> list[str]:
    """file:line (owner) of the innermost non-standard-library frames, for a violation report."""
    out = []
    frame = sys._getframe(depth)
    while frame is not None and len(out) < limit:
        who = owner(frame.f_code.co_filename)
        if who != "stdlib":
            out.append(f"{frame.f_code.co_filename}:{frame.f_lineno} ({who})")
        frame = frame.f_back
    return out


def triton_entry(depth: int = 2) -> str | None:
    """The triton file that untrusted code called into (the outermost triton frame of the innermost
    run of triton frames), or None when no triton frame is on the stack."""
    frame = sys._getframe(depth)
    entry = None
    while frame is not None:
        who = owner(frame.f_code.co_filename)
        if who == "triton":
            entry = frame.f_code.co_filename
        elif who != "stdlib":
            return entry  # None when the innermost caller was not triton at all
        frame = frame.f_back
    return entry


def dynamo_loader_sites() -> frozenset[tuple[str, int]]:
    """The statements through which torch imports dynamo on behalf of library code, on first use
    (torch/_compile.py's `_disable_dynamo` wrapper, behind dispatch modes and custom ops;
    torch.compiler's `disable`, `is_compiling`, ... used by Triton libraries); dynamo's import pulls
    in parts of torch._inductor. Found once, before the guard is up."""
    import torch._compile
    import torch.compiler

    sites = set()
    for path in (torch._compile.__file__, torch.compiler.__file__):
        with open(path, encoding="utf-8") as fh:
            sites.update((path, number) for number, line in enumerate(fh, start=1)
                         if line.strip() == "import torch._dynamo")
    return frozenset(sites)


def executing(sites: frozenset[tuple[str, int]], depth: int = 2) -> bool:
    """Whether a frame of the stack is executing one of these lines right now."""
    frame = sys._getframe(depth)
    while frame is not None:
        if (frame.f_code.co_filename, frame.f_lineno) in sites:
            return True
        frame = frame.f_back
    return False
