"""Admission by memory: one ledger file per GPU, shared by every harness process that uses it.

A verification reserves what it expects to need before it touches the GPU and releases it when it
ends; one that does not fit waits (a sibling is never pushed out of memory). The file is guarded by
flock, and reservations of processes that died are dropped, so a killed harness frees its share.
"""
from __future__ import annotations

import fcntl
import itertools
import json
import os
import tempfile
import time
from contextlib import contextmanager

from .failure import Failure

_ids = itertools.count()


def ledger_dir() -> str:
    return os.environ.get("TRITONIZE_LEDGER_DIR") or os.path.join(tempfile.gettempdir(), "tritonize-ledger")


class Ledger:
    def __init__(self, key: str, budget: int, directory: str | None = None) -> None:
        directory = directory or ledger_dir()
        os.makedirs(directory, exist_ok=True)
        self.path = os.path.join(directory, f"{key}.json")
        self.budget = budget

    @contextmanager
    def _locked(self):
        with open(self.path, "a+", encoding="utf-8") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            fh.seek(0)
            text = fh.read()
            try:
                holders = json.loads(text)["holders"] if text.strip() else {}
            except (ValueError, KeyError):
                holders = {}
            holders = {k: v for k, v in holders.items() if pid_alive(v["pid"])}
            yield holders
            fh.seek(0)
            fh.truncate()
            fh.write(json.dumps({"holders": holders}))

    def held(self, excluding: tuple[str, ...] = ()) -> int:
        with self._locked() as holders:
            return sum(v["bytes"] for k, v in holders.items() if k not in excluding)

    def try_reserve(self, need: int) -> str | None:
        with self._locked() as holders:
            if sum(v["bytes"] for v in holders.values()) + need > self.budget:
                return None
            token = f"{os.getpid()}-{next(_ids)}"
            holders[token] = {"pid": os.getpid(), "bytes": need}
            return token

    def reserve(self, need: int, deadline: float, poll_s: float = 0.2) -> str:
        """Waits until `need` bytes fit beside the others; a need larger than the whole budget, or a
        deadline passed while waiting, is a resource condition (never the candidate's fault)."""
        if need > self.budget:
            raise Failure("resources", "insufficient_memory", {"need": need, "budget": self.budget, "held": None})
        while True:
            token = self.try_reserve(need)
            if token is not None:
                return token
            if time.monotonic() >= deadline:
                raise Failure("resources", "admission_timeout",
                              {"need": need, "budget": self.budget, "held": self.held()})
            time.sleep(poll_s)

    def record(self, token: str | None, held: int) -> str:
        """Memory already held (a cache's), recorded under `token` (a new one when None) without
        admission: the holder has it, others are admitted beside it."""
        with self._locked() as holders:
            token = token or f"{os.getpid()}-{next(_ids)}"
            holders[token] = {"pid": os.getpid(), "bytes": held}
            return token

    def resize(self, token: str, need: int) -> None:
        """A reservation's size corrected once the verification knows it (the memory is in use
        already: no waiting); a need beyond the whole budget is still a resource condition."""
        if need > self.budget:
            raise Failure("resources", "insufficient_memory", {"need": need, "budget": self.budget, "held": None})
        with self._locked() as holders:
            if token in holders:
                holders[token]["bytes"] = need

    def release(self, token: str | None) -> None:
        if token is None:
            return
        with self._locked() as holders:
            holders.pop(token, None)


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists (one of another user counts as alive)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
