"""``python -m tritonize_harness serve``: a long-lived supervisor that verifies many candidates.

JSON lines on stdin (requests) and stdout (replies); everything else the process prints goes to
stderr. It keeps a pool of ready candidate processes (pool.py) and the references it computed
(references.py), and runs each request in a thread of its own, admitted by memory (ledger.py).

  in:  {"id": "1", "cmd": "verify", "options": {"problem": ..., "candidate": ..., ...}}
       {"id": "1", "cmd": "cancel"}    {"cmd": "stats"}
  out: {"type": "ready", "pid": ...}
       {"id": "1", "type": "progress", "text": ...}
       {"id": "1", "type": "verdict", "verdict": {...}, "worker": {"pid": ..., "warm": true}}
       {"id": "1", "type": "cancelled"}    {"type": "stats", ...}    {"id": ..., "type": "error", "message": ...}

The server ends when stdin closes (its client is gone) or its parent dies, and takes every
process it started with it.
"""
from __future__ import annotations

import json
import os
import signal
import sys
import threading

from .pool import WorkerPool
from .references import References
from .verify import Services, VerifyOptions, verify

OPTION_FIELDS = {"problem", "candidate", "device", "trials", "sets", "timeout_s", "seed", "workdir", "memory_budget"}


class _Tracking(Services):
    """Services for one request: remembers its candidate's process so a cancel can end it."""

    def __init__(self, base: Services, on_worker, overlapped: threading.Event) -> None:
        super().__init__(references=base.references, pool=base.pool, progress=base.progress)
        self._on_worker = on_worker
        self._overlapped = overlapped  # set once another verification runs beside this one
        self.worker_info: dict | None = None

    def exclusive(self) -> bool:
        return not self._overlapped.is_set()

    def worker(self, device: str, workdir: str):
        w = super().worker(device, workdir)
        self.worker_info = {"pid": w.pid, "warm": self.pool is not None}
        self._on_worker(w)
        return w


class Server:
    def __init__(self, out, pool_size: int | None, cache_bytes: int, devices: list[str]) -> None:
        self._out = out
        self._write_lock = threading.Lock()
        self.pool = WorkerPool(pool_size)
        self.references = References(cache_bytes)
        self._active: dict[str, object] = {}
        self._cancelled: set[str] = set()
        self._running: dict[str, threading.Event] = {}  # verifications in flight, by id
        self._lock = threading.Lock()
        for device in devices:
            self.pool.warm(device)

    def send(self, msg: dict) -> None:
        text = json.dumps(msg, allow_nan=False, default=str)
        with self._write_lock:
            self._out.write(text + "\n")
            self._out.flush()

    def handle(self, msg: dict) -> None:
        cmd, rid = msg.get("cmd"), msg.get("id")
        if cmd == "verify":
            threading.Thread(target=self._verify_or_say, args=(rid, msg.get("options") or {}), daemon=True).start()
        elif cmd == "cancel":
            with self._lock:
                self._cancelled.add(rid)
                worker = self._active.get(rid)
            if worker is not None:
                worker.kill()
            self.send({"id": rid, "type": "cancelled"})
        elif cmd == "stats":
            self.send({"type": "stats", **self.pool.stats(), "referencesComputed": self.references.computed,
                       "cachedBytes": self.references.held})
        else:
            self.send({"id": rid, "type": "error", "message": f"unknown command {cmd!r}"})

    def _verify_or_say(self, rid: str, raw: dict) -> None:
        """A request always gets an answer: a harness bug anywhere is sent as an error."""
        try:
            self._verify(rid, raw)
        except Exception as exc:
            self.send({"id": rid, "type": "error", "message": f"{type(exc).__name__}: {exc}"})

    def _verify(self, rid: str, raw: dict) -> None:
        try:
            opts = VerifyOptions(**{k: v for k, v in raw.items() if k in OPTION_FIELDS})
        except TypeError as exc:
            self.send({"id": rid, "type": "error", "message": f"bad verify options: {exc}"})
            return

        def on_worker(w) -> None:
            with self._lock:
                self._active[rid] = w
                cancelled = rid in self._cancelled
            if cancelled:
                w.kill()

        base = Services(references=self.references, pool=self.pool,
                        progress=lambda text: self.send({"id": rid, "type": "progress", "text": text}))
        overlapped = threading.Event()
        with self._lock:
            if self._running:  # both this one and those in flight share the allocator now
                overlapped.set()
                for other in self._running.values():
                    other.set()
            self._running[rid] = overlapped
        services = _Tracking(base, on_worker, overlapped)
        try:
            doc = verify(opts, services)
        except Exception as exc:  # a harness bug: the client turns this into a harness failure
            self.send({"id": rid, "type": "error", "message": f"{type(exc).__name__}: {exc}"})
            return
        finally:
            with self._lock:
                self._active.pop(rid, None)
                self._running.pop(rid, None)
        with self._lock:
            if rid in self._cancelled:
                self._cancelled.discard(rid)
                return
        try:
            self.send({"id": rid, "type": "verdict", "verdict": doc, "worker": services.worker_info})
        except ValueError as exc:  # a document JSON cannot carry: say so rather than go silent
            self.send({"id": rid, "type": "error", "message": f"verdict not serialisable: {exc}"})

    def close(self) -> None:
        self.references.leave_ledgers()
        with self._lock:
            active = list(self._active.values())
        for worker in active:
            worker.kill()
        self.pool.close()


def _die_with_parent() -> None:
    import ctypes

    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _interrupt(*_args) -> None:
    # Once: a second SIGTERM (the parent-death signal after the client's own) must not cut the
    # clean-up short.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise KeyboardInterrupt


def serve(args, out) -> int:
    _die_with_parent()
    devices = [d for d in (args.warm or "").split(",") if d]
    cache = args.cache_bytes if args.cache_bytes is not None else default_cache_bytes()
    server = Server(out, args.pool, cache, devices)
    signal.signal(signal.SIGTERM, _interrupt)
    server.send({"type": "ready", "pid": os.getpid()})
    try:
        for line in sys.stdin:
            if not line.strip():
                continue
            try:
                msg = json.loads(line)
            except ValueError:
                server.send({"type": "error", "message": f"not a JSON line: {line[:200]!r}"})
                continue
            server.handle(msg)
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    return 0


def add_arguments(p) -> None:
    p.add_argument("--pool", type=int, default=None, help="ready candidate processes per device (default: 4 on a GPU, 2 on the CPU)")
    p.add_argument("--cache-bytes", type=int, default=None,
                   help="device memory for cached reference material (default: a quarter of a GPU, 0 on the CPU)")
    p.add_argument("--warm", default="", help="devices to start processes for at once, e.g. cuda or cpu")


def default_cache_bytes() -> int:
    import torch

    if torch.cuda.is_available():
        return int(torch.cuda.get_device_properties(0).total_memory // 4)
    return 256 << 20


__all__ = ["serve", "add_arguments", "Server"]
