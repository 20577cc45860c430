"""Ready candidate processes, per device: torch and Triton imported, CUDA initialised, the guard
up, no candidate loaded. A verification takes one and a replacement starts at once; a process that
was taken is never given to another candidate (it is closed when its verification ends).

Processes are started from one long-lived thread: a process's parent-death signal follows the
thread that started it, so a short-lived thread must never start one.
"""
from __future__ import annotations

import collections
import os
import shutil
import tempfile
import threading

from .sandbox import WorkerProcess


class WorkerPool:
    def __init__(self, size: int | None = None) -> None:
        self.size = None if size is None else max(1, size)
        _sweep_roots()
        self.root = tempfile.mkdtemp(prefix=f"tritonize-pool-{os.getpid()}-")
        self.started = 0  # processes started over the pool's life
        self.taken: list[int] = []  # pids handed out, in order
        self._ready: dict[str, collections.deque[WorkerProcess]] = {}
        self._cond = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._fill, name="tritonize-pool", daemon=True)
        self._thread.start()

    def warm(self, device: str) -> None:
        """Start filling for a device before the first verification asks."""
        with self._cond:
            self._ready.setdefault(device, collections.deque())
            self._cond.notify_all()

    def take(self, device: str) -> WorkerProcess:
        with self._cond:
            queue = self._ready.setdefault(device, collections.deque())
            self._cond.notify_all()
            while True:
                if self._closed:
                    raise RuntimeError("the worker pool is closed")
                while queue and not queue[0].alive():
                    queue.popleft().close()  # died while waiting (it never ran a candidate)
                if queue:
                    worker = queue.popleft()
                    self.taken.append(worker.pid)
                    self._cond.notify_all()
                    return worker
                self._cond.wait(0.5)

    def size_for(self, device: str) -> int:
        """Ready processes kept per device. On a GPU a process needs about 4 s to be ready (torch
        import and CUDA start, measured on an H200) while a warm verification takes 1-2 s, so
        two would leave back-to-back verifications waiting for each new process."""
        if self.size is not None:
            return self.size
        return 4 if device.startswith("cuda") else 2

    def stats(self) -> dict:
        with self._cond:
            return {"started": self.started, "taken": list(self.taken),
                    "ready": {d: [w.pid for w in q] for d, q in self._ready.items()}}

    def _fill(self) -> None:
        with self._cond:
            while not self._closed:
                short = [d for d, q in self._ready.items() if len(q) < self.size_for(d)]
                if not short:
                    self._cond.wait()
                    continue
                device = short[0]
                workdir = tempfile.mkdtemp(prefix="worker-", dir=self.root)
                self._cond.release()
                try:
                    worker = WorkerProcess(workdir, device)
                    worker.remove_workdir = True
                finally:
                    self._cond.acquire()
                self.started += 1
                if self._closed:
                    worker.close()
                    break
                self._ready[device].append(worker)
                self._cond.notify_all()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            queues = list(self._ready.values())
            self._cond.notify_all()
        for queue in queues:
            while queue:
                worker = queue.popleft()
                worker.kill()  # it never ran a candidate: nothing to wait for (it may be mid-import)
                worker.close()
        self._thread.join(timeout=10)
        shutil.rmtree(self.root, ignore_errors=True)


def _sweep_roots() -> None:
    """Removes the work directories of pools whose server was killed before it could clean up."""
    base = tempfile.gettempdir()
    for name in os.listdir(base):
        parts = name.split("-")
        if name.startswith("tritonize-pool-") and len(parts) >= 4 and parts[2].isdigit():
            try:
                os.kill(int(parts[2]), 0)
            except ProcessLookupError:
                shutil.rmtree(os.path.join(base, name), ignore_errors=True)
            except PermissionError:
                pass
