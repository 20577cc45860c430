"""Choosing where to run: CUDA with the real Triton compiler, or the CPU through Triton's interpreter."""
from __future__ import annotations

import torch

from .failure import Failure


def resolve_device(requested: str) -> str:
    if requested == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if requested == "cuda" and not torch.cuda.is_available():
        raise Failure("load", "no_cuda", {"requested": requested})
    if requested not in ("cuda", "cpu"):
        raise Failure("load", "bad_device", {"requested": requested})
    return requested
