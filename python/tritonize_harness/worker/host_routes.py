"""Every route found by which tensor data reaches Python inside forward, and Python data a tensor.

Installed by the guard (guard.py) before the candidate is imported. Routes are judged by what they
are, whoever asks (a torch helper serialising a tensor is still serialising it): serialisation and
shared or file-backed memory are stopped at once; reads into Python and tensors made from Python
data are counted in the current call's record (recorder.py), and host_traffic.py judges the counts.
Only the harness, and Triton's own code while it runs a launch, are exempt.
"""
from __future__ import annotations

import torch

from . import frames


class HostRoutes:
    def __init__(self, guard, recorder) -> None:
        self._guard = guard
        self._recorder = recorder

    def record(self):
        """The forward call being observed, or None outside one."""
        return self._recorder.current

    def observed(self):
        """The forward call whose host traffic is recorded, or None (outside one, or a timed call)."""
        rec = self._recorder.current
        return rec if rec is not None and rec.observe_host else None

    def _exempt(self) -> bool:
        """The harness's own work, and Triton's code while it runs a launch (the interpreter reads
        and writes tensor memory for the kernel)."""
        who = frames.actor(3)
        return who == "harness" or (who == "triton" and self._recorder.launch_depth > 0)

    def _stopped_in_forward(self, name: str, fn, why: str):
        """Stopped while forward runs, whoever calls (serialisation inside torch is still serialisation)."""
        guard = self

        def wrapper(*args, **kwargs):
            if guard.record() is not None and not guard._exempt():
                guard._guard.violate(name, why, frames.culprit(2))
            return fn(*args, **kwargs)

        return named_like(wrapper, fn, name)

    def _counted(self, name: str, fn, route: str, table: str, size=None, direct_only: bool = False):
        """Runs fn and, while forward runs, adds its size to the call's host reads or host values."""
        guard = self

        def wrapper(*args, **kwargs):
            rec = guard.observed()
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

        return named_like(wrapper, fn, name)

    def _patch(self, owner, attr: str, make) -> None:
        fn = getattr(owner, attr, None)
        if fn is None:
            return
        wrapped = make(fn)
        if isinstance(owner, type) and isinstance(getattr(fn, "__self__", None), type):
            wrapped = staticmethod(wrapped)  # a classmethod, already bound to its class
        setattr(owner, attr, wrapped)

    def install(self) -> None:
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
        for attr in ("apply_", "map_", "map2_"):  # a Python function called on every element's value
            self._patch(T, attr, lambda fn, a=attr: self._counted(
                f"Tensor.{a}", fn, f"Tensor.{a} (a Python function applied to every element)", "host_reads"))
        for owner, attr in ((torch.utils.dlpack, "to_dlpack"), (torch._C, "_to_dlpack"), (torch, "to_dlpack")):
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
        self._count_storages_from_python()
        self._guard_interpreter_memory()

    def _count_storages_from_python(self) -> None:
        """torch.UntypedStorage([...]) fills memory from Python values without dispatching anything."""
        guard, original = self, torch.UntypedStorage.__new__

        def new(cls, *args, **kwargs):
            storage = original(cls, *args, **kwargs)
            data = args[0] if args else None
            rec = guard.observed()
            if rec is not None and not isinstance(data, int) and hasattr(data, "__len__") and not guard._exempt():
                _, file, line = frames.culprit(2)
                rec.host_values.append({"route": "a storage made from Python data (UntypedStorage(sequence))",
                                        "count": len(data), "where": f"{file}:{line}"})
            return storage

        torch.UntypedStorage.__new__ = new

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
                if guard._recorder.launch_depth == 0:
                    guard._guard.violate(f"interpreter.{_attr}", "raw memory access outside a Triton launch",
                                  frames.culprit(2))
                return _fn(*args, **kwargs)

            setattr(native, attr, wrapper)

def named_like(wrapper, fn, name: str):
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
