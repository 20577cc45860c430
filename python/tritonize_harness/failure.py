"""Failures as data: a stage, a machine-readable code and structured details.

The sentence a user or a model reads is rendered from these in messages.py, in one place.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Failure(Exception):
    stage: str
    code: str
    details: dict[str, Any] = field(default_factory=dict)
    line: int | None = None
    traceback: str | None = None

    def __str__(self) -> str:  # pragma: no cover - for debugging only
        from .messages import render

        return render(self.code, self.details)
