"""Verification at KernelBench's full level-1 sizes on a GPU: cold and warm, one and four at a time.

Needs only Python, PyTorch and Triton on the GPU host. The candidates are the offline author's,
written beforehand on any machine by `npx tsx bench/prepare-verify-full.ts` (a manifest of problem
and candidate pairs):

    python bench/verify_full.py --manifest bench/out/verify-full/manifest.json \
        --kernelbench KernelBench/level1 [--modes cold1,warm1,cold4,warm4] [--start N] [--limit N] [--only NAME]... [--out FILE.json]

Modes: cold = one `python -m tritonize_harness verify` process per candidate (process start,
imports, reference computed); warm = one harness server (`serve`) for the whole mode, with ready
candidate processes; its first pass over the problems computes each reference, and a second pass
(`warm1-cached`, in warm1) verifies again with the references cached, as an agent's later rounds do.
1 or 4: candidates verified one at a time or four at a time on the one GPU.

Printed per mode: the median and worst verdict time, peak GPU memory as a share of the problem's
footprint (inputs, reference outputs and the model's parameters; median and worst), and the verdicts by stage. A
verdict at stage `resources` is the machine's limit, never the candidate's; an out-of-memory or a
disk error anywhere else is counted in the `oom/disk` column. Then, per mode, the median and worst
seconds of every phase of the verdicts' `phases` records (docs/verification.md names them), and the
verification with the worst peak/footprint ratio with its memory broken down.

With --out, every verdict is written to that JSON file as it comes; run again with the same --out,
the verifications already there are not repeated (a run cut short resumes where it stopped).
"""
from __future__ import annotations

import argparse
import json
import os
import queue
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
HARNESS = os.path.join(os.path.dirname(HERE), "python")


def harness_env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": HARNESS, "PYTHONUNBUFFERED": "1"}


def cold_verify(job: dict, args) -> dict:
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "tritonize_harness", "verify", "--problem", job["problem"], "--candidate",
         job["candidate"], "--device", "cuda", "--trials", str(args.trials), "--timeout", str(args.timeout), "--json"],
        capture_output=True, text=True, env=harness_env(), timeout=2 * args.timeout + 120)
    seconds = time.monotonic() - started
    try:
        doc = json.loads(proc.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        doc = {"ok": False, "stage": "harness", "code": "no_document", "message": proc.stderr[-500:]}
    return {"name": job["name"], "seconds": seconds, "verdict": doc}


class Server:
    """A `serve` process spoken to in JSON lines; replies are routed to their request by id."""

    def __init__(self, pool: int | None) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tritonize_harness", "serve", *(["--pool", str(pool)] if pool else []), "--warm", "cuda"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=harness_env())
        self.replies: dict[str, queue.Queue] = {}
        self.lock = threading.Lock()
        self.next = 0
        first = json.loads(self.proc.stdout.readline())
        assert first["type"] == "ready", first
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            msg = json.loads(line)
            if msg.get("type") in ("verdict", "error"):
                self.replies[msg["id"]].put(msg)

    def verify(self, job: dict, args) -> dict:
        with self.lock:
            self.next += 1
            rid = str(self.next)
            self.replies[rid] = queue.Queue()
            options = {"problem": job["problem"], "candidate": job["candidate"], "device": "cuda",
                       "trials": args.trials, "timeout_s": float(args.timeout)}
            started = time.monotonic()
            self.proc.stdin.write(json.dumps({"id": rid, "cmd": "verify", "options": options}) + "\n")
            self.proc.stdin.flush()
        msg = self.replies[rid].get(timeout=2 * args.timeout + 120)
        seconds = time.monotonic() - started
        doc = msg.get("verdict") or {"ok": False, "stage": "harness", "code": "server_error", "message": msg.get("message")}
        return {"name": job["name"], "seconds": seconds, "verdict": doc}

    def close(self) -> None:
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def run_mode(jobs: list[dict], parallel: int, verify, done: dict[str, dict], record) -> tuple[list[dict], float]:
    """Verifies the jobs not already `done` (by name), `parallel` at a time; each result is
    recorded as soon as it comes."""
    started = time.monotonic()

    def one(job: dict) -> dict:
        result = verify(job)
        record(result)
        return result

    todo = [j for j in jobs if j["name"] not in done]
    with ThreadPoolExecutor(max_workers=parallel) as ex:
        fresh = {r["name"]: r for r in ex.map(one, todo)}
    return [done.get(j["name"]) or fresh[j["name"]] for j in jobs], time.monotonic() - started


def _share(verdict: dict) -> float | None:
    peak, footprint = verdict.get("peakBytes"), verdict.get("footprintBytes")
    return peak / footprint if peak and footprint else None


def summarise(mode: str, results: list[dict], wall: float) -> dict:
    times = [r["seconds"] for r in results]
    shares = [s for s in (_share(r["verdict"]) for r in results) if s is not None]
    stages: dict[str, int] = {}
    for r in results:
        stages[r["verdict"].get("stage", "?")] = stages.get(r["verdict"].get("stage", "?"), 0) + 1
    oom = sum(1 for r in results if r["verdict"].get("stage") != "resources" and any(
        s in (r["verdict"].get("message") or "") for s in ("out of memory", "unexpected pos", "No space left")))
    return {
        "mode": mode, "n": len(results), "wall_s": wall,
        "median_s": statistics.median(times) if times else None, "worst_s": max(times) if times else None,
        "peak_share_median": statistics.median(shares) if shares else None,
        "peak_share_worst": max(shares) if shares else None,
        "stages": stages, "oom_or_disk": oom,
    }


def flat_phases(result: dict) -> dict[str, float]:
    """One verification's phases as `where.step` -> seconds (trials summed; trial 0's first call,
    which includes compiling the candidate's kernels, apart)."""
    doc = result["verdict"]
    phases = doc.get("phases") or {}
    out: dict[str, float] = {}
    for where in ("supervisor", "worker"):
        for name, seconds in (phases.get(where) or {}).items():
            out[f"{where}.{name}"] = seconds
    for index, trial in enumerate(phases.get("trials") or []):
        for name, seconds in trial.items():
            out[f"trials.{name}"] = out.get(f"trials.{name}", 0.0) + seconds
        if index == 0 and "firstCall" in trial:
            out["trial0.firstCall"] = trial["firstCall"]
    if isinstance(doc.get("durationMs"), (int, float)):
        # what the caller waited beyond verify() itself: process start and exit (cold), the queue (warm)
        out["outside verify()"] = max(0.0, result["seconds"] - doc["durationMs"] / 1000)
    return out


def print_phases(mode: str, results: list[dict]) -> None:
    rows: dict[str, list[float]] = {}
    for r in results:
        for name, seconds in flat_phases(r).items():
            rows.setdefault(name, []).append(seconds)
    print(f"  phases of {mode} (seconds over {len(results)} verdicts; trials.* summed over trials)")
    print(f"    {'phase':<34}{'median':>9}{'worst':>9}  worst in")
    worst_of = {name: max(results, key=lambda r: flat_phases(r).get(name, 0.0))["name"] for name in rows}
    for name, values in sorted(rows.items(), key=lambda kv: -statistics.median(kv[1])):
        if max(values) < 0.005:
            continue
        print(f"    {name:<34}{statistics.median(values):>9.3f}{max(values):>9.3f}  {worst_of[name]}")


def print_worst_memory(everything: dict[str, list[dict]]) -> None:
    """The verification with the worst peak/footprint ratio, and where its memory went."""
    scored = [(s, mode, r) for mode, results in everything.items() for r in results
              if (s := _share(r["verdict"])) is not None]
    if not scored:
        return
    share, mode, r = max(scored, key=lambda x: x[0])
    doc, mem = r["verdict"], r["verdict"].get("memory") or {}
    gb = lambda b: f"{b / 2**30:.2f} GiB" if isinstance(b, (int, float)) else "-"  # noqa: E731
    print(f"worst peak/footprint: {share:.2f}x  {r['name']} ({mode}): footprint {gb(doc.get('footprintBytes'))}, "
          f"peak {gb(doc.get('peakBytes'))}; supervisor peak {gb(mem.get('supervisorPeakBytes'))} "
          f"({'measured' if mem.get('measured') else 'estimated'}; parameters {gb(mem.get('paramBytes'))}, "
          f"held before {gb(mem.get('heldBeforeBytes'))}), candidate's process peak {gb(mem.get('workerPeakBytes'))}, "
          f"held between calls {gb(mem.get('workerHeldBytes'))}")
    steps = sorted((mem.get("steps") or {}).items(), key=lambda kv: -kv[1])
    if steps:
        print("  supervisor's peak above its start, by step: " + ", ".join(f"{k} {gb(v)}" for k, v in steps))


def print_table(rows: list[dict]) -> None:
    print(f"{'mode':<14}{'n':>4}{'median s':>10}{'worst s':>9}{'wall s':>8}{'peak/fp med':>12}{'worst':>7}"
          f"{'oom/disk':>9}  verdicts by stage")
    for r in rows:
        fmt = lambda x, p=2: f"{x:.{p}f}" if isinstance(x, (int, float)) else "-"  # noqa: E731
        stages = ", ".join(f"{k} {v}" for k, v in sorted(r["stages"].items()))
        print(f"{r['mode']:<14}{r['n']:>4}{fmt(r['median_s']):>10}{fmt(r['worst_s']):>9}{fmt(r['wall_s'], 0):>8}"
              f"{fmt(r['peak_share_median']):>12}{fmt(r['peak_share_worst']):>7}{r['oom_or_disk']:>9}  {stages}")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--manifest", required=True)
    p.add_argument("--kernelbench", required=True, help="folder of KernelBench's level-1 problem files")
    p.add_argument("--modes", default="cold1,warm1,cold4,warm4")
    p.add_argument("--settle", type=float, default=8.0,
                   help="seconds a warm mode's server is given to start its pool before the first verification")
    p.add_argument("--only", action="append", default=[])
    p.add_argument("--start", type=int, default=0, help="skip the manifest's first N problems (to split a run)")
    p.add_argument("--limit", type=int, default=None)
    p.add_argument("--trials", type=int, default=5)
    p.add_argument("--timeout", type=int, default=300)
    p.add_argument("--out", help="write every verdict (as it comes) and the summary to this JSON file; "
                                 "run again with the same file to resume")
    args = p.parse_args()

    base = os.path.dirname(os.path.abspath(args.manifest))
    manifest = json.load(open(args.manifest))
    jobs = [{"name": e["name"], "problem": os.path.join(os.path.abspath(args.kernelbench), e["problem"]),
             "candidate": os.path.join(base, e["candidate"])}
            for e in manifest["problems"] if not args.only or e["name"] in args.only]
    jobs = jobs[args.start:args.start + args.limit] if args.limit else jobs[args.start:]
    print(f"{len(jobs)} problems; modes {args.modes}; {args.trials} trials each", file=sys.stderr)

    everything: dict[str, list[dict]] = {}
    if args.out and os.path.exists(args.out):
        with open(args.out) as fh:
            everything = json.load(fh).get("results", {})
        print(f"resuming from {args.out}: {sum(len(v) for v in everything.values())} verdicts there", file=sys.stderr)
    lock = threading.Lock()
    rows: list[dict] = []

    def save() -> None:
        if not args.out:
            return
        tmp = args.out + ".tmp"
        with open(tmp, "w") as fh:
            json.dump({"summary": rows, "results": everything}, fh, indent=1, default=str)
        os.replace(tmp, args.out)

    def recorder(mode: str):
        def record(result: dict) -> None:
            with lock:
                everything.setdefault(mode, []).append(result)
                save()
            v = result["verdict"]
            print(f"  {mode} {result['name']}: {result['seconds']:.2f} s, {v.get('stage')}"
                  f"{'' if v.get('ok') else ' ' + str(v.get('code'))}", file=sys.stderr, flush=True)
        return record

    def done(mode: str) -> dict[str, dict]:
        return {r["name"]: r for r in everything.get(mode, [])}

    for mode in args.modes.split(","):
        parallel = int(mode[-1])
        if mode.startswith("cold"):
            results, wall = run_mode(jobs, parallel, lambda j: cold_verify(j, args), done(mode), recorder(mode))
            passes = [(mode, results, wall)]
        else:
            # the server's own default for one at a time (what an agent or suite gets); more ready
            # processes when several verifications draw on the pool at once
            server = Server(pool=None if parallel == 1 else 2 * parallel)
            # A warm server has been up a while (an agent's or a suite's): its pool's processes
            # finish starting (about 4 s on an H200) before the mode's first verification.
            time.sleep(args.settle)
            try:
                first, wall = run_mode(jobs, parallel, lambda j: server.verify(j, args), done(mode), recorder(mode))
                passes = [(mode, first, wall)]
                if parallel == 1:
                    again, wall2 = run_mode(jobs, 1, lambda j: server.verify(j, args), done(mode + "-cached"),
                                            recorder(mode + "-cached"))
                    passes.append((mode + "-cached", again, wall2))
            finally:
                server.close()
        for name, results, wall in passes:
            rows.append(summarise(name, results, wall))
            print_table(rows[-1:])
            print_phases(name, results)
            for r in results:
                if not r["verdict"].get("ok"):
                    print(f"  {r['name']}: {r['verdict'].get('stage')} {r['verdict'].get('code')}: "
                          f"{(r['verdict'].get('message') or '')[:160]}", file=sys.stderr)
        with lock:
            save()
    print()
    print_table(rows)
    print_worst_memory({m: everything.get(m, []) for m in {r["mode"] for r in rows}})
    return 0


if __name__ == "__main__":
    sys.exit(main())
