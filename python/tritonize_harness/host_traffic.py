"""Judging the data that crossed between tensors and Python during one forward call.

A wrapper may read a few scalars back to Python (enough for `if x.mean() > 0`) and may put a few
Python values into tensors (a small table of constants). More than that means values were computed
in Python: read from the inputs by some route, or handed to a kernel that only copies them out.
The worker counts every route it sees (worker/recorder.py, worker/guard.py); this module decides.
"""
from __future__ import annotations

from .failure import Failure
from .worker.ops import classify

# Elements read back to Python per forward call (scalar reads, tolist, NumPy views, device copies).
HOST_READ_LIMIT = 8
# Elements made from Python values per forward call (torch.tensor(list), from_numpy, t[i] = v, ...).
HOST_VALUES_LIMIT = 64
SCALAR_READ = "scalar reads (.item(), float(), int(), bool(), storage indexing)"


def _scalar_reads(call: dict) -> int:
    """Both op records count scalar reads; the profiler also sees those made with modes disabled."""
    dispatched = sum(n for op, n in call["ops"].items() if classify(op) == "host_read")
    profiled = sum(n for op, n in call.get("profiledOps", {}).items()
                   if classify(op) == "host_read" and op != "aten.item")
    return max(dispatched, profiled)


def _device_copies(call: dict) -> tuple[list[dict], list[dict]]:
    """Copies across devices: to the host (reads) and from the host (uploads)."""
    reads, uploads = [], []
    for cast in call["casts"]:
        src_dev, dst_dev = cast["from"].split("@")[1], cast["to"].split("@")[1]
        if src_dev == dst_dev:
            continue
        entry = {"route": f"a copy from {src_dev} to {dst_dev} ({cast['op']})", "count": cast.get("numel", 1),
                 "where": None}
        (reads if dst_dev == "cpu" else uploads).append(entry)
    return reads, uploads


def _fail(code: str, entries: list[dict], limit: int, trial: int, call_index: int) -> None:
    total = sum(e["count"] for e in entries)
    main = max(entries, key=lambda e: e["count"])
    raise Failure("integrity", code, {
        "route": main["route"], "where": main.get("where"), "count": total, "limit": limit,
        "routes": [f"{e['route']}: {e['count']}" + (f" at {e['where']}" if e.get("where") else "")
                   for e in entries[:5]],
        "trial": trial, "call": call_index})


def judge_host_traffic(call: dict, trial: int, call_index: int, control_reads: int = 0) -> None:
    """Raises host_read or host_data when one call moved more than a few values across.

    `control_reads`: tensor conditions the problem's own forward evaluates (a composed model keeps
    `if x.mean() > 0` as Python); each may read two scalars (bool() reaches the read through
    is_nonzero and item)."""
    read_limit = HOST_READ_LIMIT + 2 * control_reads
    copies_out, copies_in = _device_copies(call)
    reads = list(call.get("hostReads", [])) + copies_out
    scalars = _scalar_reads(call)
    if scalars:
        reads.append({"route": SCALAR_READ, "count": scalars, "where": call.get("scalarReadSite")})
    if sum(e["count"] for e in reads) > read_limit:
        _fail("host_read", reads, read_limit, trial, call_index)
    values = list(call.get("hostValues", [])) + copies_in
    if sum(e["count"] for e in values) > HOST_VALUES_LIMIT:
        _fail("host_data", values, HOST_VALUES_LIMIT, trial, call_index)
