"""Where a verification's time and GPU memory go: the verdict's `phases` and `memory` records.

Seconds are measured where the work happens: in the supervisor (problem load, inputs, reference,
comparison, ...) and in the candidate's process (its start, the candidate's import, each call),
which reports its own figures in its replies. docs/verification.md names every entry.
"""
from __future__ import annotations

import time
from contextlib import contextmanager

import torch


class Phases:
    def __init__(self) -> None:
        self.supervisor: dict[str, float] = {}
        self.worker: dict[str, float] = {}
        self.trials: list[dict[str, float]] = []
        self.cache_hits = 0  # trials whose inputs and reference outputs came from the cache

    def add(self, name: str, seconds: float, into: dict | None = None) -> None:
        record = self.supervisor if into is None else into
        record[name] = record.get(name, 0.0) + seconds

    @contextmanager
    def timed(self, name: str, into: dict | None = None):
        started = time.monotonic()
        try:
            yield
        finally:
            self.add(name, time.monotonic() - started, into)

    def trial(self) -> dict[str, float]:
        record: dict[str, float] = {}
        self.trials.append(record)
        return record

    def document(self) -> dict:
        def rounded(record: dict) -> dict:
            return {k: round(v, 4) for k, v in record.items()}

        return {"supervisor": rounded(self.supervisor), "worker": rounded(self.worker),
                "trials": [rounded(t) for t in self.trials], "referenceCacheHits": self.cache_hits}


class MemoryWatch:
    """The supervisor's own GPU memory for one verification, step by step: the allocator's peak
    above what was allocated when the verification began, read and reset at each step's end.
    Valid only while no other verification allocates in this process (`exclusive`); otherwise
    nothing is measured and the verdict's peak is an estimate."""

    def __init__(self, device: str, exclusive: bool) -> None:
        self.active = device == "cuda" and exclusive
        self.steps: dict[str, int] = {}
        self.base = 0
        self._pending = 0  # the current step's peak before memory was freed under it
        if self.active:
            torch.cuda.synchronize()
            self.base = int(torch.cuda.memory_allocated())
            torch.cuda.reset_peak_memory_stats()

    def mark(self, step: str) -> None:
        if not self.active:
            return
        peak = max(self._pending, int(torch.cuda.max_memory_allocated()) - self.base)
        self.steps[step] = max(self.steps.get(step, 0), peak)
        self._pending = 0
        torch.cuda.reset_peak_memory_stats()

    def freeing(self, free) -> None:
        """Runs `free`, which drops memory allocated before the verification began (the reference
        cache making room by dropping other problems' material): the step's peak so far is kept
        against the old baseline, and the baseline falls by what was freed."""
        if not self.active:
            free()
            return
        self._pending = max(self._pending, int(torch.cuda.max_memory_allocated()) - self.base)
        before = int(torch.cuda.memory_allocated())
        free()
        self.base -= before - int(torch.cuda.memory_allocated())
        torch.cuda.reset_peak_memory_stats()

    def set_aside(self, nbytes: int) -> None:
        """Memory this verification allocated that the reference cache now keeps for later ones:
        from here on it is the cache's (reserved in the ledger under the cache's name), not this
        verification's."""
        if self.active:
            self.base += nbytes

    @property
    def peak(self) -> int:
        return max(self.steps.values(), default=0)


__all__ = ["Phases", "MemoryWatch"]
