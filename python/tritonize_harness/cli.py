"""``python -m tritonize_harness <command>``: the harness's own command line.

Every command prints one JSON document on stdout (and writes it to --result-file when given);
exit status 0 means the document says ok. Human-readable rendering is the TypeScript CLI's job,
but `verify` without --json prints a short summary for use on a GPU host with only Python.
"""
from __future__ import annotations

import argparse
import sys

from .output import clean_stdout, emit

from .exit_codes import INTERRUPTED, exit_for


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--problem", required=True, help="KernelBench-format problem file")
    p.add_argument("--device", default="auto", choices=["auto", "cuda", "cpu"])
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="NAME=VALUE",
                   help="override a module constant of the problem (repeatable)")
    p.add_argument("--json", action="store_true", help="print only the JSON document")
    p.add_argument("--result-file", help="also write the JSON document to this file")


def _verify(args) -> tuple[dict, int]:
    import time

    began, age = time.monotonic(), _process_age()
    # The candidate's process starts first: its Python, torch and CUDA start run while this one
    # imports torch and prepares the reference.
    early = _early_worker(args.device, args.workdir)
    try:
        from .problem import parse_sets
        from .verify import Services, VerifyOptions, verify

        startup = {"import": time.monotonic() - began}
        if age is not None:
            startup["processStart"] = age
        services = Services(prestarted=early, startup=startup)
        doc = verify(VerifyOptions(problem=args.problem, candidate=args.candidate, device=args.device,
                                   trials=args.trials, sets=parse_sets(args.sets), timeout_s=args.timeout,
                                   seed=args.seed, workdir=args.workdir, memory_budget=args.memory_budget,
                                   control_reads=args.control_reads), services)
    finally:
        if early is not None:
            early.close()  # once: verify has closed it already unless interrupted before
    return doc, exit_for(doc)


def _early_worker(requested: str, workdir: str | None):
    """A candidate's process for the device the request will most likely resolve to (a wrong guess
    costs only time: verify starts the right one)."""
    import os
    import tempfile

    from .sandbox import WorkerProcess

    device = requested
    if requested == "auto":
        hidden = os.environ.get("CUDA_VISIBLE_DEVICES") in ("", "-1")
        device = "cuda" if not hidden and os.path.exists("/dev/nvidiactl") else "cpu"
    if device not in ("cuda", "cpu"):
        return None
    if workdir:
        os.makedirs(workdir, exist_ok=True)
        return WorkerProcess(workdir, device)
    worker = WorkerProcess(tempfile.mkdtemp(prefix="tritonize-worker-"), device)
    worker.remove_workdir = True
    return worker


def _process_age() -> float | None:
    """Seconds since this process was created (Python's own start, before any harness code)."""
    import os

    try:
        with open("/proc/self/stat") as fh:
            start_ticks = int(fh.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime") as fh:
            uptime = float(fh.read().split()[0])
        return max(0.0, uptime - start_ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        return None


def _summary_verify(doc: dict) -> str:
    lines = [doc["message"] if doc["ok"] else f"REJECTED at {doc['stage']}: {doc['message']}"]
    if doc.get("line"):
        lines.append(f"  at candidate line {doc['line']}")
    if doc.get("traceback"):
        lines.append("  " + doc["traceback"].replace("\n", "\n  "))
    for t in doc["trials"]:
        lines.append(f"  trial {t['index']}: {'ok' if t['ok'] else t['code']}  max abs err {t['maxAbsErr']}  "
                     f"launches {t['launches']}")
    lines.append(f"  device {doc['device']}{' (Triton interpreter)' if doc['interpreter'] else ''}, "
                 f"{doc['launches']} Triton launches over all trials, {doc['durationMs']:.0f} ms")
    if doc.get("code") == "timeout" and (doc.get("interpreter") or doc.get("device") == "cpu"):
        lines.append("  Triton's interpreter runs kernels on the CPU, thousands of times slower than a GPU: check at "
                     "small sizes with --set NAME=VALUE, or give more time with --timeout SECONDS")
    return "\n".join(lines)


COMMANDS = {}


def _register(name, add_args, run, summary):
    COMMANDS[name] = (add_args, run, summary)


def _verify_args(p):
    _add_common(p)
    p.add_argument("--candidate", required=True, help="candidate file: ModelNew or kernel_function")
    p.add_argument("--trials", type=int, default=5)
    p.add_argument("--timeout", type=float, default=120.0, help="wall-clock limit in seconds")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--workdir", help="work directory for the candidate's process (default: a fresh temp dir)")
    p.add_argument("--memory-budget", type=int, metavar="BYTES",
                   help="memory that verifications on this device may reserve together (default: 90%% of a GPU's)")
    p.add_argument("--control-reads", type=int, default=0,
                   help="tensor conditions one call may read back to Python (problems that branch on tensor values)")


_register("verify", _verify_args, _verify, _summary_verify)


def _lazy(module: str):
    """Commands whose modules import heavy things load them only when chosen."""
    import importlib

    return importlib.import_module(f".{module}", __package__)


def _inspect_args(p):
    _add_common(p)


def _inspect(args):
    mod = _lazy("inspect_problem")
    doc = mod.run(args)
    return doc, exit_for(doc)


_register("inspect", _inspect_args, _inspect, None)


def _env_args(p):
    p.add_argument("--json", action="store_true")
    p.add_argument("--result-file")


def _env(args):
    doc = _lazy("environment").run(args)
    return doc, exit_for(doc)


_register("env", _env_args, _env, None)


def _bench_args(p):
    _add_common(p)
    p.add_argument("--candidate", required=True)
    p.add_argument("--trials", type=int, default=100, help="timed iterations per implementation")
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--no-compile", action="store_true", help="skip torch.compile")
    p.add_argument("--timeout", type=float, default=600.0)
    p.add_argument("--seed", type=int, default=42)


def _bench(args):
    doc = _lazy("bench").run(args)
    return doc, exit_for(doc)


_register("bench", _bench_args, _bench, lambda doc: _lazy("bench").summary(doc))


def _capture_args(p):
    try:
        _lazy("capture").add_arguments(p)
    except ImportError:  # no torch: only `env` runs then (__main__ says so), to report what is missing
        pass
    p.add_argument("--json", action="store_true", help="print only the JSON document")
    p.add_argument("--result-file", help="also write the JSON document to this file")


def _capture(args):
    doc = _lazy("capture").run(args)
    return doc, 0 if doc.get("ok") else 1


_register("capture", _capture_args, _capture, None)


def _serve_args(p):
    _lazy("server").add_arguments(p)


_register("serve", _serve_args, None, None)


def _regions_args(p):
    p.add_argument("--problem", required=True, help="KernelBench-format problem file")
    p.add_argument("--out", required=True, help="folder for fused.py and subgraphs/")
    p.add_argument("--fused", help="a fused module written elsewhere (a model's rewrite): observed and captured instead of cutting forward")
    p.add_argument("--trials", type=int, default=5, help="the verifier's trial count (its seeds are observed)")
    p.add_argument("--device", default="auto", choices=["auto", "cuda", "cpu"], help="where the model is observed")
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="NAME=VALUE")
    p.add_argument("--json", action="store_true")
    p.add_argument("--result-file")


def _regions(args):
    doc = _lazy("regions").run(args)
    return doc, 0 if doc.get("ok") else 1


_register("regions", _regions_args, _regions, None)


def _compose_args(p):
    p.add_argument("--plan", required=True, help="the regions document")
    p.add_argument("--kernels", required=True, help="JSON object: subgraph id -> verified kernel file")
    p.add_argument("--out", required=True, help="where composed.py is written")
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="NAME=VALUE")
    p.add_argument("--json", action="store_true")
    p.add_argument("--result-file")


def _compose(args):
    doc = _lazy("compose").run(args)
    return doc, 0 if doc.get("ok") else 1


_register("compose", _compose_args, _compose, None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tritonize_harness",
                                     description="Tritonize's harness: verify, time and inspect Triton candidates.")
    sub = parser.add_subparsers(dest="command", required=True)
    # Only the chosen command's arguments are built: some import torch (capture, serve), and
    # `verify` starts the candidate's process before this process imports it.
    chosen = (sys.argv[1:] if argv is None else argv)[:1]
    for name, (add_args, _, _) in COMMANDS.items():
        command = sub.add_parser(name)
        if not chosen or chosen[0] == name or chosen[0] not in COMMANDS:
            add_args(command)
    args = parser.parse_args(argv)
    if args.command == "serve":  # JSON lines on stdout for as long as it runs, not one document
        with clean_stdout() as out:
            return _lazy("server").serve(args, out)
    _, run, summary = COMMANDS[args.command]
    with clean_stdout() as out:
        try:
            doc, code = run(args)
        except KeyboardInterrupt:
            return INTERRUPTED
        if getattr(args, "json", False) or summary is None:
            emit(doc, out, getattr(args, "result_file", None))
        else:
            emit(doc, open("/dev/null", "w"), getattr(args, "result_file", None))
            out.write(summary(doc) + "\n")
    return code
