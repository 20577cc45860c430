"""Who is calling: the first frame outside the standard library, classified by where its code lives."""
from __future__ import annotations

import os
import sys
import sysconfig

import torch
import triton

import tritonize_harness

_STDLIB = tuple(
    os.path.realpath(p) + os.sep
    for p in {sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["platstdlib"]}
)
_SITE = ("site-packages", "dist-packages")
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
    if filename.startswith("<frozen"):
        result = "stdlib"
    else:
        real = os.path.realpath(filename) if filename and not filename.startswith("<") else filename
        result = "other"
        for name, root in _TRUSTED.items():
            if real.startswith(root):
                result = name
                break
        else:
            if any(os.sep + s + os.sep in real for s in _SITE):
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
