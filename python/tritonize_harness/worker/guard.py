"""Runtime guard of the candidate's process: what the candidate may not do, enforced as it happens.

Installed before the candidate is imported and never removed. CPython audit hooks cannot be
removed once added, and every patched entry point below sits on a type or a module the candidate
cannot restore (setting attributes on types is itself an audited event). Each rule asks who is
calling (frames.py): torch, triton and the harness may compile kernels, load libraries and start
helper threads; the candidate may not. A violation is reported to the supervisor and the process
ends at once, so the candidate cannot catch it and carry on.
"""
from __future__ import annotations

import json
import os
import posix
import re
import sys
import threading
import _thread

import torch

from . import frames

VIOLATION_EXIT = 86

# Module imports the candidate may not trigger at runtime (static_check.py lists the same roots).
_BLOCKED_IMPORT_ROOTS = {
    "subprocess", "multiprocessing", "concurrent", "ctypes", "cffi", "socket", "http", "urllib",
    "requests", "importlib", "inspect", "gc", "pickle", "marshal", "signal", "_thread", "threading",
}
# Modules nobody may import while a candidate runs: each compiles or runs non-Triton kernels.
_BLOCKED_ALWAYS = ("torch.utils.cpp_extension", "torch._inductor", "torch.cuda.jiterator")
# Triton files through which a launch legitimately reaches the compiler (ptxas, the C launcher).
_TRITON_COMPILE_ENTRIES = ("/runtime/jit.py", "/runtime/autotuner.py", "/compiler/compiler.py", "/runtime/interpreter.py")
_PROC_OTHER = re.compile(r"^/proc/(\d+)(/|$)")

_PROCESS_EVENTS = {
    "subprocess.Popen", "os.system", "os.exec", "os.fork", "os.forkpty", "os.posix_spawn", "os.spawn",
    "pty.spawn", "os.startfile",
}
_SIGNAL_EVENTS = {"os.kill", "os.killpg", "signal.pthread_kill"}
_INTROSPECTION_EVENTS = {
    "sys._getframe", "sys._current_frames", "gc.get_objects", "gc.get_referrers", "gc.get_referents",
    "sys.settrace", "sys.setprofile", "sys.addaudithook", "exec", "compile", "code.__new__",
    "function.__new__", "object.__delattr__", "sys.set_asyncgen_hooks", "cpython.run_command",
}


class Guard:
    def __init__(self, report_fd: int, candidate_module: str) -> None:
        self._write = os.write
        self._exit = os._exit
        self._dumps = json.dumps
        self._fd = report_fd
        self._pid = os.getpid()
        self._candidate_module = candidate_module
        self._busy = threading.local()

    # A violation ends the process; nothing the candidate does afterwards can count.
    def violate(self, event: str, why: str, where: tuple[str, str, int] | None = None) -> None:
        who, filename, line = where or ("other", "?", 0)
        msg = {"type": "violation", "event": event, "why": why, "file": filename, "line": line,
               "stack": frames.stack_summary(3)}
        try:
            self._write(self._fd, (self._dumps(msg) + "\n").encode())
        finally:
            self._exit(VIOLATION_EXIT)

    def _hook(self, event: str, args: tuple) -> None:
        if getattr(self._busy, "on", False):
            return
        self._busy.on = True
        try:
            self._check(event, args)
        finally:
            self._busy.on = False

    def _check(self, event: str, args: tuple) -> None:
        if event == "open":
            path = args[0]
            if isinstance(path, (bytes, os.PathLike)):
                path = os.fsdecode(path)
            if isinstance(path, str):
                m = _PROC_OTHER.match(path)
                if m and int(m.group(1)) != self._pid:
                    self.violate(event, f"reading another process's memory or state ({path})", frames.caller(3))
            return
        if event.startswith("socket."):
            self.violate(event, "network access", frames.caller(3))
        if event in _PROCESS_EVENTS:
            entry = frames.triton_entry(3)
            if entry is None or not entry.endswith(_TRITON_COMPILE_ENTRIES):
                self.violate(event, "starting a process", frames.caller(3))
            return
        if event in _SIGNAL_EVENTS:
            if frames.caller(3)[0] == "other":
                self.violate(event, "sending signals", frames.caller(3))
            return
        if event.startswith("ctypes."):
            if frames.caller(3)[0] == "other":
                self.violate(event, "raw memory and foreign code through ctypes", frames.caller(3))
            return
        if event == "import":
            name = args[0] or ""
            if name.startswith(_BLOCKED_ALWAYS) and frames.caller(3)[0] != "harness":
                self.violate(event, f"importing {name} (it compiles or runs kernels not written in Triton)", frames.caller(3))
            if name.split(".")[0] in _BLOCKED_IMPORT_ROOTS and frames.caller(3)[0] == "other":
                self.violate(event, f"importing {name} at runtime", frames.caller(3))
            return
        if event == "object.__setattr__":
            target = args[0]
            if isinstance(target, type) and getattr(target, "__module__", None) != self._candidate_module:
                where = frames.caller(3)
                if where[0] == "other":
                    self.violate(event, f"patching {getattr(target, '__qualname__', target)}.{args[1]}", where)
            return
        if event in _INTROSPECTION_EVENTS:
            where = frames.caller(3)
            if where[0] == "other":
                self.violate(event, "interpreter introspection or dynamic code", where)

    def _guarded(self, name: str, fn, why: str):
        guard = self

        def wrapper(*args, **kwargs):
            where = frames.caller(2)
            if where[0] == "other":
                guard.violate(name, why, where)
            return fn(*args, **kwargs)

        wrapper.__name__ = getattr(fn, "__name__", name)
        wrapper.__qualname__ = getattr(fn, "__qualname__", name)
        return wrapper

    def install(self) -> None:
        """Patches first (setting type attributes is audited), then the hook that forbids undoing them."""
        threads = "starting a thread (work in another thread escapes the op recorder)"
        for module, attr in ((_thread, "start_new_thread"), (_thread, "start_joinable_thread"),
                             (_thread, "start_new"), (threading, "_start_new_thread"),
                             (threading, "_start_joinable_thread")):
            if hasattr(module, attr):
                setattr(module, attr, self._guarded(f"{module.__name__}.{attr}", getattr(module, attr), threads))
        process = "process control (leaving the process group, forking, signalling or ending the process)"
        for module in (os, posix):
            for attr in ("setsid", "setpgid", "setpgrp", "fork", "forkpty", "kill", "killpg", "_exit", "abort"):
                if hasattr(module, attr):
                    setattr(module, attr, self._guarded(f"os.{attr}", getattr(module, attr), process))
        host = "reading tensor data into Python (results must be computed by Triton kernels)"
        for attr in ("numpy", "__array__", "tolist", "__dlpack__"):
            setattr(torch.Tensor, attr, self._guarded(f"Tensor.{attr}", getattr(torch.Tensor, attr), host))
        for attr in ("tolist",):
            if hasattr(torch.UntypedStorage, attr):
                setattr(torch.UntypedStorage, attr,
                        self._guarded(f"UntypedStorage.{attr}", getattr(torch.UntypedStorage, attr), host))
        sys.addaudithook(self._hook)
