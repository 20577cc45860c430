"""Runtime guard of the candidate's process: what the candidate may not do, enforced as it happens.

Installed before the candidate is imported and never removed. CPython audit hooks cannot be
removed once added, and every patched entry point below sits on a type or a module the candidate
cannot restore (setting attributes on types is itself an audited event). Each rule asks who is
calling (frames.py): torch, triton and the harness may compile kernels, load libraries and start
helper threads; the candidate may not. A violation is reported to the supervisor and the process
ends at once, so the candidate cannot catch it and carry on.

Tensor data reaching Python while forward runs is judged by what it is, not by who asks
(host_routes.py).
"""
from __future__ import annotations

import json
import os
import posix
import re
import sys
import threading
import _thread

from . import frames
from .host_routes import HostRoutes, named_like

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
    "sys.settrace", "sys.setprofile", "sys.addaudithook", "code.__new__",
    "function.__new__", "object.__delattr__", "sys.set_asyncgen_hooks", "cpython.run_command",
}
# Attributes whose reading CPython audits (object.__getattr__) because they lead to live frames.
_FRAME_ATTRIBUTES = {"tb_frame", "gi_frame", "cr_frame", "ag_frame"}
# Standard-library modules that look one frame up only to name the caller's module (TypeVar,
# Enum("E", ...), namedtuple): their sys._getframe is not introspection by the candidate.
_FRAME_NAMING_STDLIB = ("typing.py", "enum.py", os.path.join("collections", "__init__.py"), "dataclasses.py")
# Paths no one but the harness opens: another process's memory is covered above; this process's own
# memory and mappings read raw tensor memory; the work directory and shared memory hold the
# harness's inputs and outputs.
_PROC_SELF_MEMORY = re.compile(r"^/proc/(self|thread-self|\d+)(/task/\d+)?/(mem|map_files|pagemap)(/|$)")
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


class Guard:
    def __init__(self, report_fd: int, candidate_module: str, recorder=None) -> None:
        self._write = os.write
        self._exit = os._exit
        self._dumps = json.dumps
        self._fd = report_fd
        self._pid = os.getpid()
        self._candidate_module = candidate_module
        self._busy = threading.local()
        self._recorder = recorder
        self._workdir = os.path.realpath(os.getcwd()) + os.sep
        self._tmp = os.path.realpath(os.environ.get("TMPDIR") or "/tmp") + os.sep
        self._dynamo_loaders = frames.dynamo_loader_sites()

    # A violation ends the process; nothing the candidate does afterwards can count.
    def violate(self, event: str, why: str, where: tuple[str, str, int] | None = None) -> None:
        who, filename, line = where or ("other", "?", 0)
        msg = {"type": "violation", "event": event, "why": why, "file": f"{filename}:{line}" if line else filename, "line": line,
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
            self._check_open(args)
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
            # dynamo is not imported ahead (seconds of every process) but may load when library
            # code first reaches torch's own lazy import of it; inductor's compiler stays blocked
            if (name.startswith(_BLOCKED_ALWAYS) and frames.caller(3)[0] != "harness"
                    and not frames.executing(self._dynamo_loaders, 3)):
                self.violate(event, f"importing {name} (it compiles or runs kernels not written in Triton)", frames.caller(3))
            if name.split(".")[0] in _BLOCKED_IMPORT_ROOTS and frames.importer(3) == "other":
                self.violate(event, f"importing {name} at runtime", frames.caller(3))
            return
        if event in ("exec", "compile"):
            self._check_dynamic_code(event, args)
            return
        if event == "object.__setattr__":
            target = args[0]
            if isinstance(target, type) and getattr(target, "__module__", None) != self._candidate_module:
                if self._claims_new_namedtuple(target, args):
                    return
                where = frames.caller(3)
                if where[0] == "other":
                    self.violate(event, f"patching {getattr(target, '__qualname__', target)}.{args[1]}", where)
            return
        if event == "sys._getframe" and frames.direct(3)[1].endswith(_FRAME_NAMING_STDLIB):
            return
        if event == "object.__getattr__" and len(args) > 1 and args[1] in _FRAME_ATTRIBUTES:
            # a frame reached through a traceback, generator or coroutine: a walk up the stack
            where = frames.caller(3)
            if where[0] == "other":
                self.violate(event, f"frame introspection ({args[1]})", where)
            return
        if event in _INTROSPECTION_EVENTS:
            where = frames.caller(3)
            if where[0] == "other":
                self.violate(event, "interpreter introspection or dynamic code", where)

    def _claims_new_namedtuple(self, target: type, args: tuple) -> bool:
        """collections.namedtuple (and typing.NamedTuple) makes its class inside collections, then
        names the candidate's module as its home: that first assignment is not patching."""
        return (len(args) > 2 and args[1] == "__module__" and args[2] == self._candidate_module
                and target.__module__ == "collections" and issubclass(target, tuple) and hasattr(target, "_fields"))

    def _check_open(self, args: tuple) -> None:
        path = args[0]
        if isinstance(path, (bytes, os.PathLike)):
            path = os.fsdecode(path)
        if not isinstance(path, str):
            return  # an already open descriptor
        # resolve "/proc/self/../<pid>", relative paths and links before judging
        real = os.path.realpath(path)
        m = _PROC_OTHER.match(real)
        if m and int(m.group(1)) != self._pid:
            self.violate("open", f"reading another process's memory or state ({path})", frames.caller(4))
        if frames.actor(4) == "harness":
            return
        if _PROC_SELF_MEMORY.match(path) or _PROC_SELF_MEMORY.match(real):
            self.violate("open", f"reading this process's raw memory ({path})", frames.culprit(4))
        if frames.actor(4) != "triton" and (
                real.startswith("/dev/shm/") or (real.startswith(self._workdir) and not real.startswith(self._tmp))):
            self.violate("open", f"opening the harness's files ({path}): inputs and outputs travel there", frames.culprit(4))
        mode, flags = (args[1] if len(args) > 1 else None), (args[2] if len(args) > 2 else 0)
        writes = (isinstance(mode, str) and any(c in mode for c in "wax+")) or bool((flags or 0) & _WRITE_FLAGS)
        if writes and frames.is_trusted_path(real):
            self.violate("open", f"writing into installed code ({path}): code there is trusted", frames.culprit(4))

    def _check_dynamic_code(self, event: str, args: tuple) -> None:
        """Module imports, and code the standard library or an installed package generates (dataclasses,
        namedtuple, typing), are not the candidate's dynamic code; exec/compile/eval called by the
        candidate itself are. Code may not claim to come from an installed file it does not match."""
        who, filename = frames.direct(4)
        if who == "other":
            self.violate(event, "running generated code (exec, eval or compile)", frames.caller(4))
        if event != "compile" or who not in ("stdlib",):
            return
        source, claimed = args[0], args[1] if len(args) > 1 else None
        if isinstance(claimed, bytes):
            claimed = os.fsdecode(claimed)
        if not isinstance(claimed, str) or claimed.startswith("<") or not frames.is_trusted_path(claimed):
            return
        if not _matches_file(source, claimed):
            self.violate(event, f"compiling code under the name of an installed file it does not match ({claimed})",
                         frames.culprit(4))

    def _guarded(self, name: str, fn, why: str):
        guard = self

        def wrapper(*args, **kwargs):
            where = frames.caller(2)
            if where[0] == "other":
                guard.violate(name, why, where)
            return fn(*args, **kwargs)

        return named_like(wrapper, fn, name)

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
        if self._recorder is not None:
            HostRoutes(self, self._recorder).install()
            self._recorder.on_excess_reads = lambda n: self.violate(
                "host_read", f"{n} scalar reads of tensor data in one forward call (a few are allowed, for control flow)",
                frames.culprit(2))
        sys.dont_write_bytecode = True  # imports never write into installed folders (writing there is stopped)
        sys.addaudithook(self._hook)


def _matches_file(source, path: str) -> bool:
    """Whether source (as compile received it) is exactly the file's contents."""
    if not isinstance(source, (bytes, str)):
        return False
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError:
        return False
    return data == (source if isinstance(source, bytes) else source.encode())
