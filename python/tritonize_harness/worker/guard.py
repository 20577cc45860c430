"""Runtime guard of the candidate's process: what the candidate may not do, enforced as it happens.

Installed before the candidate is imported and never removed. CPython audit hooks cannot be
removed once added, and every patched entry point below sits on a type or a module the candidate
cannot restore (setting attributes on types is itself an audited event). Each rule asks who is
calling (frames.py): torch, triton and the harness may compile kernels, load libraries and start
helper threads; the candidate may not. A violation is reported to the supervisor and the process
ends at once, so the candidate cannot catch it and carry on.

Tensor data reaching Python while forward runs is judged by what it is, not by who asks: a few
scalars (for control flow) are counted and allowed, serialisation and raw or file-backed views of
tensor memory are stopped, and tensors made from Python data are counted (host_traffic.py judges
the counts). Only the harness and Triton's own launch code are exempt.
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
    "sys.settrace", "sys.setprofile", "sys.addaudithook", "code.__new__",
    "function.__new__", "object.__delattr__", "sys.set_asyncgen_hooks", "cpython.run_command",
}
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

    # A violation ends the process; nothing the candidate does afterwards can count.
    def violate(self, event: str, why: str, where: tuple[str, str, int] | None = None) -> None:
        who, filename, line = where or ("other", "?", 0)
        msg = {"type": "violation", "event": event, "why": why, "file": f"{filename}:{line}" if line else filename, "line": line,
               "stack": frames.stack_summary(3)}
        try:
            self._write(self._fd, (self._dumps(msg) + "\n").encode())
        finally:
            self._exit(VIOLATION_EXIT)

    def _record(self):
        """The forward call being observed, or None outside one."""
        return self._recorder.current if self._recorder is not None else None

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
            if name.startswith(_BLOCKED_ALWAYS) and frames.caller(3)[0] != "harness":
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

        return _named(wrapper, fn, name)

    def _exempt(self) -> bool:
        """The harness's own work, and Triton's code while it runs a launch (the interpreter reads
        and writes tensor memory for the kernel)."""
        who = frames.actor(3)
        return who == "harness" or (who == "triton" and self._recorder is not None and self._recorder.launch_depth > 0)

    def _stopped_in_forward(self, name: str, fn, why: str):
        """Stopped while forward runs, whoever calls (serialisation inside torch is still serialisation)."""
        guard = self

        def wrapper(*args, **kwargs):
            if guard._record() is not None and not guard._exempt():
                guard.violate(name, why, frames.culprit(2))
            return fn(*args, **kwargs)

        return _named(wrapper, fn, name)

    def _counted(self, name: str, fn, route: str, table: str, size=None, direct_only: bool = False):
        """Runs fn and, while forward runs, adds its size to the call's host reads or host values."""
        guard = self

        def wrapper(*args, **kwargs):
            rec = guard._record()
            if rec is None or (direct_only and frames.direct(2)[0] != "other"):
                return fn(*args, **kwargs)
            if guard._exempt():
                return fn(*args, **kwargs)
            guard._recorder.factory_depth += 1
            try:
                result = fn(*args, **kwargs)
            finally:
                guard._recorder.factory_depth -= 1
            count = (size or _size)(args, result)
            if count:
                _, file, line = frames.culprit(2)
                getattr(rec, table).append({"route": route, "count": count, "where": f"{file}:{line}"})
            return result

        return _named(wrapper, fn, name)

    def _patch(self, owner, attr: str, make) -> None:
        fn = getattr(owner, attr, None)
        if fn is None:
            return
        wrapped = make(fn)
        if isinstance(owner, type) and isinstance(getattr(fn, "__self__", None), type):
            wrapped = staticmethod(wrapped)  # a classmethod, already bound to its class
        setattr(owner, attr, wrapped)

    def _install_host_data(self) -> None:
        """Every way found for tensor data to reach Python, and for Python data to reach a tensor."""
        T, U, S = torch.Tensor, torch.UntypedStorage, torch.TypedStorage
        serial = "serialising tensor data inside forward (its bytes reach Python)"
        for owner, attr in ((torch, "save"), (torch.serialization, "save"), (torch.serialization, "_save"),
                            (torch.serialization, "_legacy_save"), (torch, "load"), (torch.serialization, "load"),
                            (T, "__reduce_ex__"), (T, "_reduce_ex_internal"),
                            (U, "__reduce__"), (S, "__reduce__"), (U, "_write_file"), (S, "_write_file"),
                            (torch.storage, "_load_from_bytes")):
            self._patch(owner, attr, lambda fn, a=attr: self._stopped_in_forward(f"{_qual(fn, a)}", fn, serial))
        shared = "file-backed or shared tensor memory inside forward (readable from Python as a file)"
        for owner, attr in ((U, "_share_fd_cpu_"), (U, "_share_filename_cpu_"), (S, "_share_fd_cpu_"),
                            (S, "_share_filename_cpu_"), (U, "_new_shared_fd_cpu"), (U, "_new_shared_filename_cpu"),
                            (U, "from_file"), (S, "from_file"), (torch, "from_file"), (T, "share_memory_"),
                            (U, "share_memory_"), (S, "share_memory_"), (U, "_new_with_weak_ptr"),
                            (torch._C, "_construct_storage_from_data_pointer"), (U, "from_buffer"),
                            (S, "from_buffer"), (torch, "frombuffer"), (U, "_new_with_file"), (U, "_set_from_file"),
                            (S, "_new_with_file"), (S, "_set_from_file")):
            self._patch(owner, attr, lambda fn, a=attr: self._stopped_in_forward(f"{_qual(fn, a)}", fn, shared))
        reads = (("numpy", "Tensor.numpy() (a NumPy view of the tensor's memory)"),
                 ("__array__", "Tensor.__array__ (NumPy conversion)"),
                 ("tolist", "Tensor.tolist()"),
                 ("__dlpack__", "Tensor.__dlpack__ (DLPack export)"),
                 ("__repr__", "printing a tensor (repr)"), ("__str__", "printing a tensor (str)"),
                 ("__format__", "formatting a tensor (format)"))
        for attr, route in reads:
            self._patch(T, attr, lambda fn, r=route, a=attr: self._counted(f"Tensor.{a}", fn, r, "host_reads"))
        for owner, attr in ((torch.utils.dlpack, "to_dlpack"), (torch._C, "_to_dlpack")):
            self._patch(owner, attr, lambda fn: self._counted("to_dlpack", fn, "DLPack export (to_dlpack)", "host_reads"))
        for owner in (U, S):
            self._patch(owner, "tolist", lambda fn: self._counted("storage.tolist", fn, "storage.tolist()", "host_reads"))
        # On the CPU an address is readable from Python (NumPy's __array_interface__): an address the
        # candidate itself takes counts as reading the whole tensor. On a GPU it is a device address.
        raw = "a raw address of host tensor memory taken by the candidate (data_ptr)"
        for owner in (T, U, S):
            self._patch(owner, "data_ptr", lambda fn: self._counted("data_ptr", fn, raw, "host_reads",
                                                                    size=_host_size, direct_only=True))
        for attr in ("untyped_storage", "storage", "_typed_storage"):
            self._patch(T, attr, lambda fn, a=attr: self._counted(
                f"Tensor.{a}", fn, "the tensor's storage object taken by the candidate", "host_reads",
                size=_host_size, direct_only=True))
        made = "a tensor made from Python data ({})"
        for owner, attr in ((torch, "tensor"), (torch, "as_tensor"), (torch, "asarray"), (torch, "from_numpy"),
                            (torch, "from_dlpack"), (torch.utils.dlpack, "from_dlpack"), (T, "new_tensor")):
            self._patch(owner, attr, lambda fn, a=attr: self._counted(a, fn, made.format(a), "host_values"))
        self._guard_interpreter_memory()

    def _guard_interpreter_memory(self) -> None:
        """The interpreter's raw loads and stores take bare addresses: only a launch may use them."""
        try:
            from triton._C.libtriton import interpreter as native
        except ImportError:  # pragma: no cover - every supported triton has it
            return
        guard = self
        for attr in ("load", "store", "atomic_rmw", "atomic_cas"):
            fn = getattr(native, attr, None)
            if fn is None:
                continue

            def wrapper(*args, _fn=fn, _attr=attr, **kwargs):
                if guard._recorder is not None and guard._recorder.launch_depth == 0:
                    guard.violate(f"interpreter.{_attr}", "raw memory access outside a Triton launch",
                                  frames.culprit(2))
                return _fn(*args, **kwargs)

            setattr(native, attr, wrapper)

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
        self._install_host_data()
        if self._recorder is not None:
            self._recorder.on_excess_reads = lambda n: self.violate(
                "host_read", f"{n} scalar reads of tensor data in one forward call (a few are allowed, for control flow)",
                frames.culprit(2))
        sys.dont_write_bytecode = True  # imports never write into installed folders (writing there is stopped)
        sys.addaudithook(self._hook)


def _named(wrapper, fn, name: str):
    wrapper.__name__ = getattr(fn, "__name__", name)
    wrapper.__qualname__ = getattr(fn, "__qualname__", name)
    wrapper.__doc__ = getattr(fn, "__doc__", None)
    return wrapper


def _qual(fn, attr: str) -> str:
    return getattr(fn, "__qualname__", None) or attr


def _size(args: tuple, result) -> int:
    """Elements that crossed: of the tensor made, or of the tensor (or storage) read."""
    for value in (result, *args):
        if isinstance(value, torch.Tensor):
            return value.numel()
        if isinstance(value, (torch.UntypedStorage, torch.TypedStorage)):
            return value.nbytes()
        if isinstance(value, list):
            return _list_len(value)
    return 1


def _list_len(value) -> int:
    return sum(_list_len(v) for v in value) if isinstance(value, list) else 1


def _host_size(args: tuple, result) -> int:
    """Like _size, but a tensor in GPU memory counts nothing: its address is not readable from Python."""
    target = args[0] if args else None
    if isinstance(target, torch.Tensor) and target.device.type != "cpu":
        return 0
    if isinstance(target, (torch.UntypedStorage, torch.TypedStorage)) and target.device.type != "cpu":
        return 0
    return _size(args[:1], None)


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
