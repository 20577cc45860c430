"""Tensors between the supervisor and the candidate's process through shared memory, never files.

GPU tensors travel as CUDA IPC handles (torch.multiprocessing's reductions): the receiver maps the
sender's memory, nothing is copied. CPU tensors travel as shared memory files in /dev/shm (RAM),
mapped by both sides. Only the supervisor packs: what it sends is pickled by trusted code, and
nothing the candidate's process says is ever unpickled by the supervisor (outputs come back by
being written into buffers the supervisor shared, and as JSON metadata).

Ownership: the supervisor owns every shared tensor and keeps it alive until the reply arrives; the
worker copies inputs into memory of its own before the candidate sees them, so the candidate
never holds a handle to the supervisor's inputs or reference.
"""
from __future__ import annotations

import base64
import io
import itertools
import os
import pickle
from typing import Any

import torch

from .ledger import pid_alive

SHM_DIR = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
_counter = itertools.count()


class _SharedCpu:
    """A CPU tensor as a shared memory file: path, dtype, shape, stride, offset (in elements)."""

    def __init__(self, path: str, nbytes: int, dtype: torch.dtype, shape, stride, offset: int) -> None:
        self.path, self.nbytes, self.dtype = path, nbytes, dtype
        self.shape, self.stride, self.offset = tuple(shape), tuple(stride), offset

    def open(self) -> torch.Tensor:
        storage = torch.UntypedStorage.from_file(self.path, True, self.nbytes)
        t = torch.empty(0, dtype=self.dtype)
        t.set_(storage, self.offset, self.shape, self.stride)
        return t


class Outbox:
    """What the supervisor shares for one verification; close() releases the CPU files it made."""

    def __init__(self, scratch: str) -> None:
        self.scratch = SHM_DIR or scratch
        self.paths: list[str] = []
        self._descs: dict[int, _SharedCpu] = {}

    def buffer(self, shape, dtype: torch.dtype, device: str) -> torch.Tensor:
        """A tensor both sides can write: on CUDA ordinary device memory (shared by handle when
        packed), on the CPU a shared memory file. Filled with NaN (or the largest value) so an
        element the other side never wrote shows."""
        if device == "cpu":
            path = os.path.join(self.scratch, f"tritonize-{os.getpid()}-{next(_counter)}")
            numel = 1
            for d in shape:
                numel *= d
            nbytes = max(1, numel * torch.empty(0, dtype=dtype).element_size())
            with open(path, "wb") as fh:
                fh.truncate(nbytes)
            self.paths.append(path)
            desc = _SharedCpu(path, nbytes, dtype, shape, _contiguous_stride(shape), 0)
            t = desc.open()
            self._descs[t.untyped_storage().data_ptr()] = desc
        else:
            t = torch.empty(tuple(shape), dtype=dtype, device=device)
        return _poison(t)

    def share(self, t: torch.Tensor) -> torch.Tensor:
        """t itself on CUDA; on the CPU a shared copy (the caller's tensor is never exposed)."""
        if t.is_cuda or t.untyped_storage().data_ptr() in self._descs:
            return t
        shared = self.buffer(t.shape, t.dtype, "cpu")
        return shared.copy_(t)

    def pack(self, values: list[Any]) -> str:
        """Values (shared tensors, numbers, lists) as text for one JSON field."""
        buf = io.BytesIO()
        _Pickler(buf, self._descs).dump(list(values))
        return base64.b64encode(buf.getvalue()).decode("ascii")

    def close(self) -> None:
        """Unlinks the shared files: mappings already open stay valid on both sides, and nothing is
        left in /dev/shm should this process be killed later. Called after every reply."""
        for path in self.paths:
            try:
                os.unlink(path)
            except OSError:
                pass
        self.paths.clear()
        self._descs.clear()


def _poison(t: torch.Tensor) -> torch.Tensor:
    if t.is_floating_point() or t.is_complex():
        return t.fill_(float("nan"))
    if t.dtype == torch.bool:
        return t.fill_(True)
    return t.fill_(torch.iinfo(t.dtype).max)


class _Pickler(pickle.Pickler):
    def __init__(self, fh, descs: dict[int, _SharedCpu]) -> None:
        super().__init__(fh, protocol=pickle.HIGHEST_PROTOCOL)
        self.descs = descs

    def reducer_override(self, obj):
        if not isinstance(obj, torch.Tensor):
            return NotImplemented
        if obj.is_cuda:
            from torch.multiprocessing.reductions import reduce_tensor

            return reduce_tensor(obj)
        desc = self.descs.get(obj.untyped_storage().data_ptr())
        if desc is None:
            raise ValueError("a CPU tensor must be made shareable with Outbox.share before it is packed")
        offset = obj.storage_offset()
        view = _SharedCpu(desc.path, desc.nbytes, obj.dtype, obj.shape, obj.stride(), offset)
        return _open_shared, (view,)


def _open_shared(desc: _SharedCpu) -> torch.Tensor:
    """The receiver's side: maps the file, then unlinks it (the mappings stay valid), so nothing is
    left in /dev/shm whichever process is killed later."""
    storage = _opened.get(desc.path)
    if storage is None:
        storage = _opened[desc.path] = torch.UntypedStorage.from_file(desc.path, True, desc.nbytes)
        try:
            os.unlink(desc.path)
        except OSError:
            pass
    t = torch.empty(0, dtype=desc.dtype)
    t.set_(storage, desc.offset, desc.shape, desc.stride)
    return t


_opened: dict[str, torch.UntypedStorage] = {}  # files mapped by the unpack in progress


def sweep(directory: str | None = SHM_DIR) -> None:
    """Removes shared files left by supervisors that were killed before their worker mapped them."""
    if directory is None:
        return
    for name in os.listdir(directory):
        parts = name.split("-")
        if len(parts) == 3 and parts[0] == "tritonize" and parts[1].isdigit() and not pid_alive(int(parts[1])):
            try:
                os.unlink(os.path.join(directory, name))
            except OSError:
                pass


def unpack(text: str) -> list[Any]:
    """The worker's side of pack (trusted input: only the supervisor writes it)."""
    try:
        return pickle.loads(base64.b64decode(text))
    finally:
        _opened.clear()


def _contiguous_stride(shape) -> tuple[int, ...]:
    stride, acc = [], 1
    for dim in reversed(tuple(shape)):
        stride.append(acc)
        acc *= max(1, dim)
    return tuple(reversed(stride))


def tensor_bytes(values) -> int:
    return sum(v.numel() * v.element_size() for v in values if isinstance(v, torch.Tensor))


# Words per slice of a fingerprint: its scratch (the slice widened to int64, and its weights) is a
# few tens of MB on any device, whatever the tensor's size.
FINGERPRINT_STEP = 1 << 22
_WEIGHTS: dict[torch.device, torch.Tensor] = {}


def _weights(device: torch.device, n: int) -> torch.Tensor:
    w = _WEIGHTS.get(device)
    if w is None or w.numel() < n:
        w = _WEIGHTS[device] = (torch.arange(n, device=device, dtype=torch.int64) % 65521 + 1).to(torch.int32)
    return w


def fingerprint(t: torch.Tensor) -> tuple[int, int]:
    """Two checksums of a tensor's bytes, computed a slice at a time on its own device: equal
    fingerprints before and after a call mean the memory was not written."""
    flat = t.detach().contiguous().reshape(-1)
    words = flat.view(torch.int32) if (flat.numel() * flat.element_size()) % 4 == 0 and flat.numel() else flat.view(torch.uint8)
    step = FINGERPRINT_STEP
    weights = _weights(words.device, min(step, words.numel()))
    s1 = torch.zeros((), dtype=torch.int64, device=words.device)
    s2 = torch.zeros((), dtype=torch.int64, device=words.device)
    for start in range(0, words.numel(), step):
        part = words[start:start + step].to(torch.int64)
        s1 += part.sum()
        s2 += part.mul_(weights[:part.numel()]).sum()
    return int(s1), int(s2)
