"""Starting and stopping the candidate's process: allowlisted environment, own work directory,
pipes for commands and replies, a deadline on every reply, and a kill that reaches descendants.

Imports nothing heavy (no torch): `tritonize_harness verify` starts the candidate's process first,
so its imports and CUDA initialisation run while the supervisor imports torch.
"""
from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import sys
import time

from .failure import Failure

# Variables a candidate's process may see; everything else (API keys, proxies, tokens) is dropped.
ENV_ALLOW = {"PATH", "LANG", "LC_ALL", "LC_CTYPE", "CUDA_VISIBLE_DEVICES", "CUDA_HOME", "CUDA_PATH",
             "LD_LIBRARY_PATH", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "PYTHONHASHSEED",
             "NCCL_NVLS_ENABLE", "TORCH_SYMM_MEM_DISABLE_MULTICAST", "NVSHMEM_DISABLE_NVLS"}
ENV_ALLOW_PREFIX = ("TRITON_",)
CLOSE_GRACE_S = 0.2


def worker_env(workdir: str, device: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k in ENV_ALLOW or k.startswith(ENV_ALLOW_PREFIX)}
    harness_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = harness_root
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PYTHONUNBUFFERED"] = "1"
    # Compiled kernels are cached across candidates; the cache is keyed by the kernel's source.
    env.setdefault("TRITON_CACHE_DIR", os.path.join(os.path.expanduser("~"), ".triton", "cache"))
    env["HOME"] = workdir
    tmp = os.path.join(workdir, "tmp")
    os.makedirs(tmp, exist_ok=True)
    env["TMPDIR"] = tmp
    if device == "cpu":
        env["TRITON_INTERPRET"] = "1"
        env["CUDA_VISIBLE_DEVICES"] = ""
    else:
        env.pop("TRITON_INTERPRET", None)
    return env


def descendants(pid: int) -> list[int]:
    """All live descendants of pid, read from /proc (a process that left our group is still found)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read().decode(errors="replace")
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def kill_tree(proc: subprocess.Popen) -> None:
    for pid in [proc.pid] + descendants(proc.pid):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL is not ignorable
        pass


class WorkerProcess:
    """One candidate's process. It starts without a candidate (a pool may hold it ready: torch and
    Triton imported, CUDA initialised, the guard up) and runs at most one candidate in its life."""

    def __init__(self, workdir: str, device: str, deadline: float = float("inf")) -> None:
        self.workdir = workdir
        self.device = device
        self.deadline = deadline
        self.log_path = os.path.join(workdir, "worker.log")
        cmd_r, self._cmd_w = os.pipe()
        self._reply_r, reply_w = os.pipe()
        self._buffer = b""
        self._log = open(self.log_path, "wb")
        self.started = time.monotonic()
        self.startup: dict = {}  # the process's own account of its start (imports, CUDA, profiler)
        self.waited = 0.0  # seconds a verification spent waiting for "ready"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tritonize_harness.worker.main", "--cmd-fd", str(cmd_r),
             "--reply-fd", str(reply_w), "--device", device, "--parent-pid", str(os.getpid())],
            pass_fds=(cmd_r, reply_w), cwd=workdir, env=worker_env(workdir, device),
            stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
        )
        os.close(cmd_r)
        os.close(reply_w)
        self.ready = False

    @property
    def pid(self) -> int:
        return self.proc.pid

    def wait_ready(self) -> None:
        """The worker says it is ready once its imports are done and its guard is up."""
        if not self.ready:
            waiting = time.monotonic()
            reply = self._read_reply("starting the candidate's process")
            if reply.get("type") != "ready":
                raise Failure("runtime", "worker_crashed", {"status": None, "stderr": f"unexpected first reply {reply}"})
            self.ready = True
            self.waited += time.monotonic() - waiting
            self.startup = {k: v for k, v in (reply.get("startup") or {}).items() if isinstance(v, (int, float))}

    def alive(self) -> bool:
        return self.proc.poll() is None

    def request(self, msg: dict, during: str) -> dict:
        self.send(msg)
        return self.receive(during)

    def send(self, msg: dict) -> None:
        """Queues a command without waiting: a process still importing reads it once ready."""
        try:
            os.write(self._cmd_w, (json.dumps(msg) + "\n").encode())
        except BrokenPipeError:
            pass  # the process is gone; reading says how it ended

    def receive(self, during: str) -> dict:
        self.wait_ready()
        return self._read_reply(during)

    def _read_reply(self, during: str) -> dict:
        while b"\n" not in self._buffer:
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                self.kill()
                raise Failure("timeout", "timeout", {"seconds": self.timeout_s, "during": during})
            ready, _, _ = select.select([self._reply_r], [], [], min(remaining, 3600.0))
            if not ready:
                continue
            chunk = os.read(self._reply_r, 1 << 16)
            if not chunk:
                status = self.proc.wait()
                if status == -signal.SIGXCPU:  # its CPU-time limit (worker/main.py) ended it
                    raise Failure("timeout", "timeout", {"seconds": self.timeout_s, "during": during})
                raise Failure("runtime", "worker_crashed", {"status": status, "stderr": self.log_tail()})
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        reply = json.loads(line)
        if reply.get("type") == "violation":
            self.proc.wait()
            raise Failure("integrity", "forbidden_operation",
                          {"event": reply["event"], "why": reply["why"], "file": reply.get("file"),
                           "stack": reply.get("stack", [])},
                          line=reply.get("line"))
        return reply

    timeout_s: float = 0.0

    def log_tail(self, limit: int = 1500) -> str:
        self._log.flush()
        try:
            with open(self.log_path, "rb") as fh:
                data = fh.read()
        except OSError:
            return ""
        text = data.decode(errors="replace").strip()
        return text[-limit:]

    def kill(self) -> None:
        kill_tree(self.proc)

    remove_workdir = False  # a pool's process owns its work directory
    _closed = False

    def close(self) -> None:
        """Asks the process to exit and closes its command pipe (its watcher ends it at once even
        mid-import), then kills whatever is left of it."""
        if self._closed:
            return
        self._closed = True
        try:
            os.write(self._cmd_w, b'{"cmd": "exit"}\n')
        except OSError:
            pass
        for fd in (self._cmd_w, self._reply_r):
            try:
                os.close(fd)
            except OSError:
                pass
        try:
            # A moment to leave by itself; a process that ran its candidate is never reused, so
            # whatever it still does (Python's and CUDA's own teardown) is cut short.
            self.proc.wait(timeout=CLOSE_GRACE_S)
        except subprocess.TimeoutExpired:
            pass
        self.kill()
        self._log.close()
        if self.remove_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)


__all__ = ["WorkerProcess", "kill_tree"]
