"""The candidate process's loop: read a command, run the candidate under observation, reply.

Commands arrive as JSON lines on one inherited pipe and replies leave on another, so whatever the
candidate prints cannot be mistaken for a reply. Tensors travel through shared memory
(transfer.py): the worker copies its inputs into memory of its own before the candidate sees them,
and writes the candidate's outputs into buffers the supervisor shared.

The process ends by itself when its supervisor is gone (a parent-death signal, and a watcher on the
command pipe) and when it has used its CPU time (RLIMIT_CPU), whoever keeps its wall-clock deadline.
"""
from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import resource
import select
import signal
import sys
import threading
import time
import traceback

STARTED = time.monotonic()  # before torch: its import is the largest part of a process's start


def _die_with_parent() -> None:
    """The kernel sends SIGKILL when the supervisor goes, armed before torch's import (a second or
    more) so that a process still starting ends with it too; a supervisor that left before this
    is found by `_end_with_supervisor`."""
    import ctypes

    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


if __name__ == "__main__":
    _die_with_parent()

import torch  # noqa: E402

from ..failure import Failure  # noqa: E402
from ..problem import describe_error  # noqa: E402
from ..transfer import unpack  # noqa: E402

CANDIDATE_MODULE = "tritonize_candidate"


class Channel:
    def __init__(self, cmd_fd: int, reply_fd: int) -> None:
        self._in = os.fdopen(cmd_fd, "r", encoding="utf-8")
        self._reply_fd = reply_fd
        self._write = os.write

    def read(self) -> dict | None:
        line = self._in.readline()
        return json.loads(line) if line else None

    def send(self, msg: dict) -> None:
        data = (json.dumps(msg) + "\n").encode()
        while data:
            n = self._write(self._reply_fd, data)
            data = data[n:]


def _candidate_line(exc: BaseException, path: str) -> int | None:
    line = None
    real = os.path.realpath(path)
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename and os.path.realpath(frame.filename) == real:
            line = frame.lineno
    return line


def _failure_from(exc: BaseException, stage: str, code: str, path: str) -> dict:
    from ..problem import short_traceback

    is_compile = False
    try:
        from triton.compiler.errors import CompilationError
        from triton.runtime.interpreter import InterpreterError

        is_compile = isinstance(exc, (CompilationError, InterpreterError))
    except ImportError:  # pragma: no cover
        pass
    if stage == "runtime" and is_compile:
        stage, code = "compile", "compile_error"
    details = {"error": describe_error(exc)}
    if isinstance(exc, (torch.OutOfMemoryError, MemoryError)):
        stage, code = "resources", "out_of_memory"  # the supervisor judges whose fault it was
    elif os.environ.get("TRITON_INTERPRET") == "1" and stage in ("runtime", "compile"):
        from .interpreter_shim import interpreter_limitation

        lacking = interpreter_limitation(exc)
        if lacking is not None:
            stage, code, details["lacking"] = "compile", "interpreter_limitation", lacking
    return {"stage": stage, "code": code, "details": details,
            "line": _candidate_line(exc, path), "traceback": short_traceback(exc, keep=6)}


class Worker:
    def __init__(self, channel: Channel, device: str) -> None:
        from .recorder import Recorder

        self.channel = channel
        self.device = torch.device(device)
        self.recorder = Recorder()
        self.entry = None
        self.path = ""
        self.buffers: list = []

    def load(self, msg: dict) -> dict:
        started = time.monotonic()
        reply = self._load(msg)
        reply["seconds"] = round(time.monotonic() - started, 4)
        reply["peakBytes"] = _peak_bytes(self.device)
        return reply

    def _load(self, msg: dict) -> dict:
        self.path = msg["candidate"]
        spec = importlib.util.spec_from_file_location(CANDIDATE_MODULE, self.path)
        if spec is None or spec.loader is None:
            raise Failure("load", "candidate_missing_file", {"path": self.path})
        module = importlib.util.module_from_spec(spec)
        sys.modules[CANDIDATE_MODULE] = module
        try:
            spec.loader.exec_module(module)
        except Exception as exc:
            return {"ok": False, "failure": _failure_from(exc, "load", "candidate_import_error", self.path)}
        _limit_cpu_time(float(msg["cpuSeconds"]))
        init_args = [_own_copy(x, self.device) for x in unpack(msg["init"])]
        if hasattr(module, "ModelNew"):
            torch.manual_seed(msg["seed"])
            try:
                model = module.ModelNew(*init_args)
                if isinstance(model, torch.nn.Module):
                    model = model.to(self.device)
            except Exception as exc:
                return {"ok": False, "failure": _failure_from(exc, "load", "candidate_init_error", self.path)}
            self.entry = model
        elif callable(getattr(module, "kernel_function", None)):
            self.entry = module.kernel_function
        else:
            return {"ok": False, "failure": {"stage": "load", "code": "candidate_missing_entry", "details": {},
                                             "line": None, "traceback": None}}
        return {"ok": True}

    def call(self, msg: dict) -> dict:
        if msg.get("poison", True):
            return self._call(msg)
        with _unpoisoned():  # the check of a timed call: the conditions it was timed under
            return self._call(msg)

    def _call(self, msg: dict) -> dict:
        from .recorder import CallRecord, RecordingMode

        # `shared` is the supervisor's memory: the candidate gets copies, and the copies are
        # compared with it afterwards (no second copy of the inputs is needed for that).
        phases: dict = {"calls": []}
        step = time.monotonic()
        shared = unpack(msg["inputs"])
        returned = unpack(msg["outputs"])
        step = _lap(phases, "unpack", step)
        inputs = self._reuse_buffers(shared)
        if self.device.type == "cuda":
            torch.cuda.synchronize()
        step = _lap(phases, "copyIn", step)
        records = []
        out = None
        for _ in range(msg["calls"]):
            out = None  # the previous call's outputs are not kept: one call's memory at a time
            rec = CallRecord()
            self.recorder.current = rec
            try:
                with torch.no_grad(), RecordingMode(self.recorder):
                    out, foreign = self._profiled(inputs, rec)
                if self.device.type == "cuda":
                    torch.cuda.synchronize()
            except Exception as exc:
                self.recorder.current = None
                return {"ok": False, "failure": _failure_from(exc, "runtime", "runtime_error", self.path),
                        "calls": [r for r in records]}
            self.recorder.current = None
            entry = rec.as_dict()
            entry["foreignKernels"] = foreign
            entry["outputs"] = self._output_checks(out, inputs, rec)
            records.append(entry)
            now = time.monotonic()
            phases["calls"].append(round(now - step, 4))
            step = now
        mutated = [i for i, (x, p) in enumerate(zip(inputs, shared))
                   if isinstance(x, torch.Tensor) and not _same(x, p)]
        step = _lap(phases, "mutationCheck", step)
        outs = out if isinstance(out, (list, tuple)) else [out]
        if not all(isinstance(o, torch.Tensor) for o in outs):
            got = type(out).__name__
            return {"ok": False, "failure": {"stage": "runtime", "code": "bad_output_type",
                                             "details": {"got": got, "expected": "a tensor or a tuple/list of tensors"},
                                             "line": None, "traceback": None}, "calls": records}
        if not isinstance(out, (list, tuple)):
            outs = outs[:1]
        meta = [{"shape": list(o.shape), "dtype": str(o.dtype)} for o in outs]
        fits = len(outs) == len(returned) and all(
            o.shape == r.shape and o.dtype == r.dtype for o, r in zip(outs, returned))
        if fits:
            for o, r in zip(outs, returned):
                r.copy_(o.detach())
            if self.device.type == "cuda":
                torch.cuda.synchronize()
        _lap(phases, "writeBack", step)
        return {"ok": True, "calls": records, "mutatedInputs": mutated, "outputs": meta, "written": fits,
                "peakBytes": _peak_bytes(self.device), "phases": phases}

    def _reuse_buffers(self, fresh: list) -> list:
        """New trial values are written into the previous trial's input tensors where they fit, so
        every trial sees the same addresses with new contents: a result cached by address goes stale."""
        out = []
        for i, x in enumerate(fresh):
            old = self.buffers[i] if i < len(self.buffers) else None
            if isinstance(x, torch.Tensor):
                if (isinstance(old, torch.Tensor) and old.shape == x.shape and old.dtype == x.dtype
                        and old.stride() == x.stride()):
                    old.copy_(x)
                    x = old
                else:
                    x = _own_copy(x, self.device)
            out.append(x)
        self.buffers = out
        return out

    def time(self, msg: dict) -> dict:
        """Times the candidate (no op recorder, no profiler, no host-route bookkeeping: they would
        slow it down)."""
        from ..timing import time_cuda

        inputs = [_own_copy(x, self.device) for x in unpack(msg["inputs"])]
        from .recorder import CallRecord

        # Launches are still counted while timed: a candidate that does less work when it is not
        # being verified (a cache, a skipped kernel) launches fewer kernels per call.
        rec = CallRecord(observe_host=False)
        self.recorder.current = rec
        try:
            with _unpoisoned():
                figures = time_cuda(self.entry, inputs, msg["warmup"], msg["iters"])
        except Exception as exc:
            return {"ok": False, "failure": _failure_from(exc, "runtime", "runtime_error", self.path)}
        finally:
            self.recorder.current = None
        calls = msg["warmup"] + msg["iters"]
        return {"ok": True, "timing": figures, "launches": rec.launches, "calls": calls}

    def _profiled(self, inputs, rec):
        """Runs one call under torch's profiler too: a second record of aten ops, independent of the
        dispatch mode, and on CUDA the name of every GPU kernel that ran."""
        with _profiler(self.device) as prof:
            out = self.entry(*inputs)
            if self.device.type == "cuda":
                torch.cuda.synchronize()
        kernels: set[str] = set()
        for e in prof.function_events:
            if e.device_type == torch.autograd.DeviceType.CUDA:
                kernels.add(e.name)
            elif e.name.startswith("aten::"):
                rec.profiled_ops["aten." + e.name[len("aten::"):]] += 1
        return out, sorted(n for n in kernels if not _allowed_gpu_kernel(n, rec))

    def _output_checks(self, out, inputs, rec) -> list[dict]:
        outs = out if isinstance(out, (list, tuple)) else [out]
        checks = []
        # empty storages all sit at address 0: sharing it is not sharing memory
        in_storages = {x.untyped_storage().data_ptr(): i for i, x in enumerate(inputs)
                       if isinstance(x, torch.Tensor) and x.untyped_storage().nbytes() > 0}
        for k, o in enumerate(outs):
            if not isinstance(o, torch.Tensor):
                checks.append({"output": k, "tensor": False})
                continue
            ptr = o.untyped_storage().data_ptr()
            checks.append({
                "output": k, "tensor": True,
                "aliasesInput": in_storages.get(ptr) if o.untyped_storage().nbytes() > 0 else None,
                "fromKernel": ptr in rec.touched or o.numel() == 0,
                "empty": o.numel() == 0,
            })
        return checks


@contextlib.contextmanager
def _unpoisoned():
    """Deterministic mode off, and with it the NaN fill of every fresh allocation (torch.empty
    included) that makes reads of unwritten memory fail verification. Timed, that fill is one more
    pass over every output (a third of a memory-bound kernel's time) that eager and torch.compile,
    timed in the supervisor, do not pay. A candidate can tell the mode, so the supervisor checks a
    call made in it too."""
    was = torch.are_deterministic_algorithms_enabled(), torch.is_deterministic_algorithms_warn_only_enabled()
    torch._C._set_deterministic_algorithms(False)
    try:
        yield
    finally:
        torch._C._set_deterministic_algorithms(was[0], warn_only=was[1])


def _own_copy(x, device: torch.device):
    """A copy in this process's own memory (never a view of the supervisor's shared memory)."""
    if not isinstance(x, torch.Tensor):
        return x
    return x.to(device, copy=True)


def _peak_bytes(device: torch.device) -> int | None:
    return int(torch.cuda.max_memory_allocated()) if device.type == "cuda" else None


def _limit_cpu_time(seconds: float) -> None:
    """CPU time from now on, over all threads, is capped: a spinning candidate ends even when
    nobody is left to keep its wall-clock deadline (SIGXCPU at the soft limit, SIGKILL 2 s later).
    The cap is the wall-clock limit times torch's threads, so busy honest work meets the wall-clock
    limit first."""
    used = resource.getrusage(resource.RUSAGE_SELF)
    soft = int(used.ru_utime + used.ru_stime + seconds * max(1, torch.get_num_threads())) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (soft, soft + 2))


def _lap(record: dict, name: str, since: float) -> float:
    now = time.monotonic()
    record[name] = round(now - since, 4)
    return now


def _profiler(device: torch.device):
    """torch's Kineto profiler: aten ops on the CPU side, and on CUDA every GPU kernel (CUPTI).
    It is the autograd profiler itself rather than its `torch.profiler.profile` wrapper: the
    wrapper's first start imports torch._inductor (and with it dynamo and sympy), several seconds
    of a cold process on a GPU host that the harness never needs."""
    from torch.autograd.profiler import profile

    return profile(use_kineto=True, use_cpu=True, use_device="cuda" if device.type == "cuda" else None)


def _warm_profiler(device: torch.device) -> None:
    """Runs the profiler once on a trivial op: its first use in a process (CUPTI on a GPU) costs
    more than later ones, and is paid here, while the process waits in a pool or the supervisor
    prepares the reference, rather than in the candidate's first call."""
    with _profiler(device):
        torch.ones(1, device=device).add_(1)
        if device.type == "cuda":
            torch.cuda.synchronize()


def _end_with_supervisor(cmd_fd: int, parent: int) -> None:
    """The process dies with its supervisor: the parent-death signal (`_die_with_parent`), and a
    watcher that ends it when the command pipe closes (a supervisor that closed it has given up)."""
    if os.getppid() != parent:  # it left before the signal was armed
        os._exit(0)
    exit_now = os._exit  # held before the guard wraps os._exit

    def watch() -> None:
        poller = select.poll()
        poller.register(cmd_fd, select.POLLHUP | select.POLLERR)
        while True:
            for _, event in poller.poll():
                if event & (select.POLLHUP | select.POLLERR):
                    exit_now(0)

    threading.Thread(target=watch, name="tritonize-supervisor-watch", daemon=True).start()


def _same(a: torch.Tensor, b: torch.Tensor) -> bool:
    """Equal, NaN where NaN, compared a slice at a time (no full-size temporaries)."""
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if torch.equal(a, b):  # the usual case, in one pass and no scratch (NaN needs the slow path)
        return True
    fa, fb = a.reshape(-1), b.reshape(-1)
    step = 1 << 24
    for start in range(0, fa.numel(), step):
        x, y = fa[start:start + step], fb[start:start + step]
        if a.is_floating_point() or a.is_complex():
            if not bool(((x == y) | (torch.isnan(x) & torch.isnan(y))).all()):
                return False
        elif not torch.equal(x, y):
            return False
    return True


def _allowed_gpu_kernel(name: str, rec) -> bool:
    if name in rec.kernels:
        return True
    lower = name.lower()
    # torch's own fills and copies (torch.zeros, .contiguous()), and the driver's memset/memcpy
    return any(s in lower for s in ("fill", "copy", "memset", "memcpy")) or any(name.startswith(k) for k in rec.kernels)


def _autotune_without_timing() -> None:
    """Triton's autotuner times configurations with a GPU benchmarker, which the interpreter lacks.
    On the CPU each configuration is run once and all count as equally fast (timings mean nothing
    there), so @triton.autotune kernels verify on the CPU as they do on a GPU."""
    from triton.runtime.autotuner import Autotuner

    def benchmarker(_self):
        def bench(kernel_call, quantiles=None, **_kwargs):
            kernel_call()
            return [0.0] * len(quantiles) if quantiles else 0.0

        return bench

    Autotuner.do_bench = property(benchmarker)


def prepare_process(device: str, startup: dict) -> float:
    """Imports and initialises what the harness needs, each step's seconds into `startup`; returns
    the time the last step ended."""
    step = time.monotonic()
    import triton  # noqa: F401
    import triton.language  # noqa: F401
    from triton.runtime import interpreter  # noqa: F401
    import torch.autograd.profiler  # noqa: F401
    import torch.multiprocessing.reductions  # noqa: F401 - CUDA IPC handles are opened with it
    step = _lap(startup, "tritonImport", step)

    if device == "cuda":
        torch.cuda.init()
        torch.empty(1, device="cuda")
        from triton.runtime import driver

        driver.active.get_current_device()  # builds Triton's CUDA helpers now, not under the guard
        step = _lap(startup, "cudaInit", step)
    if device == "cpu":
        _autotune_without_timing()
        from .interpreter_shim import install as fill_interpreter_gaps

        fill_interpreter_gaps()
    _warm_profiler(torch.device(device))
    step = _lap(startup, "profilerInit", step)
    # torch.use_deterministic_algorithms would also set an inductor option, importing inductor,
    # dynamo and sympy: seconds of a cold process, for a compiler candidates may not use.
    torch._C._set_deterministic_algorithms(True, warn_only=True)
    torch.utils.deterministic.fill_uninitialized_memory = True  # poison: fresh memory reads as NaN
    return step


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tritonize_harness.worker")
    parser.add_argument("--cmd-fd", type=int, required=True)
    parser.add_argument("--reply-fd", type=int, required=True)
    parser.add_argument("--device", required=True)
    parser.add_argument("--parent-pid", type=int, required=True)
    args = parser.parse_args(argv)
    _end_with_supervisor(args.cmd_fd, args.parent_pid)
    channel = Channel(args.cmd_fd, args.reply_fd)

    # Everything the harness needs is imported and initialised before the guard goes up; each
    # step's seconds go to the supervisor with "ready" (the verdict's phases).
    startup = {"torchImport": round(time.monotonic() - STARTED, 4)}
    step = prepare_process(args.device, startup)

    from .guard import Guard
    from .recorder import install_launch_hook

    worker = Worker(channel, args.device)
    install_launch_hook(worker.recorder)
    Guard(args.reply_fd, CANDIDATE_MODULE, worker.recorder).install()
    _lap(startup, "guard", step)
    channel.send({"type": "ready", "pid": os.getpid(), "startup": startup})

    while True:
        msg = channel.read()
        if msg is None or msg.get("cmd") == "exit":
            return 0
        try:
            if msg["cmd"] == "load":
                reply = worker.load(msg)
            elif msg["cmd"] == "call":
                reply = worker.call(msg)
            elif msg["cmd"] == "time":
                reply = worker.time(msg)
            else:
                reply = {"ok": False, "failure": {"stage": "runtime", "code": "runtime_error",
                                                  "details": {"error": f"unknown command {msg['cmd']!r}"},
                                                  "line": None, "traceback": None}}
        except Failure as f:
            reply = {"ok": False, "failure": {"stage": f.stage, "code": f.code, "details": f.details,
                                              "line": f.line, "traceback": f.traceback}}
        except BaseException as exc:  # noqa: BLE001 - a candidate may raise anything, SystemExit included
            reply = {"ok": False, "failure": _failure_from(exc, "runtime", "runtime_error", worker.path)}
        if worker.device.type == "cuda":  # what the process keeps between commands (its input copies, the model)
            reply["heldBytes"] = int(torch.cuda.memory_allocated())
        channel.send(reply)


if __name__ == "__main__":
    sys.exit(main())
