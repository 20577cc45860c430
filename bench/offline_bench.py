"""Times the offline author's kernels on a GPU against eager PyTorch and torch.compile.

Needs only Python, PyTorch and Triton on the GPU host. The candidates are written beforehand
(on any machine) by `npx tsx bench/prepare-offline.ts`; this script reads their manifest:

    python bench/offline_bench.py --manifest bench/out/offline/manifest.json [--no-compile] [--no-f64] [--only NAME] [--part K/N] [--alt MANIFEST]

`--part K/N` runs the K-th of N equal slices of the manifest (1-based), so that a long list can be
timed in several shorter runs; each slice prints its own header. `--alt MANIFEST` times a second
set of candidates for the same problems (written with other author options, e.g. `--conv-operands
k-major`) on the same inputs, one row more per problem named `NAME [alt]`. `--no-f64` skips the
float64 run (slow for large convolutions). `--skip-done OUTPUT` leaves out the problems an earlier
run's saved output has a row for, so a run cut off by a time limit is resumed.

For each problem: a correctness check against the reference (eager, at the harness's tolerances), and
for fp32 problems also against the reference run in float64 ("f64" column: the candidate's worst
error over its tolerance, <= 1 passes; "eag64": the same for eager itself; eager fp32 is itself inexact, e.g. a 2048-deep fp32 product on randn inputs
is off by up to 8e-4, so a kernel summing in another order can miss the eager comparison while being
closer to the exact result), then the median time of the candidate,
eager and torch.compile (triton.testing.do_bench), the speedups, and for memory-bound problems the
achieved bandwidth, counting each input and output byte once (the minimum traffic), as a share of
the 1 GiB copy's bandwidth and of a copy moving the same number of bytes.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import traceback

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "python"))


def load_module(path: str, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


def tensors(x):
    if isinstance(x, torch.Tensor):
        return [x]
    if isinstance(x, (list, tuple)):
        return [t for v in x for t in tensors(v)]
    return []


def nbytes(ts) -> int:
    seen, total = set(), 0
    for t in ts:
        key = (t.untyped_storage().data_ptr(), t.untyped_storage().nbytes())
        if key not in seen:
            seen.add(key)
            total += min(t.untyped_storage().nbytes(), t.numel() * t.element_size())
    return total


def close(a, b) -> tuple[bool, float]:
    worst = 0.0
    ok = True
    for x, y in zip(tensors(a), tensors(b)):
        if x.shape != y.shape:
            return False, float("inf")
        tol = 1e-4 if x.dtype == torch.float32 else 2e-2
        if not x.dtype.is_floating_point:
            ok &= bool(torch.equal(x, y))
            continue
        err = (x.double() - y.double()).abs().max().item() if x.numel() else 0.0
        worst = max(worst, err)
        ok &= bool(torch.allclose(x.double(), y.double(), atol=tol, rtol=tol))
    return ok, worst


def worst_over_tol(out, ref64) -> float:
    """max |out - ref| / (atol + rtol |ref|) over fp32 outputs against the float64 reference (<= 1 passes)."""
    worst = 0.0
    for x, y in zip(tensors(out), tensors(ref64)):
        if x.dtype != torch.float32 or x.numel() == 0:
            continue
        d = (x.double() - y.double()).abs() / (1e-4 + 1e-4 * y.double().abs())
        worst = max(worst, float(d.max()))
    return worst


def reference64(prob, init, inputs):
    """The problem's Model in float64 on float64 copies of fp32 inputs; None when an input is not fp32."""
    floats = [x for x in inputs if isinstance(x, torch.Tensor) and x.is_floating_point()]
    if not floats or any(x.dtype != torch.float32 for x in floats):
        return None
    torch.manual_seed(0)
    m = prob.Model(*init).to(inputs[0].device).double()
    return m(*[x.double() if isinstance(x, torch.Tensor) and x.is_floating_point() else x for x in inputs])


def tuned_configs(module) -> list[str]:
    """The configuration Triton's autotuner chose for each autotuned kernel of a candidate module."""
    from triton.runtime.autotuner import Autotuner

    return [f"{name}: {k.best_config}" for name, k in vars(module).items()
            if isinstance(k, Autotuner) and getattr(k, "best_config", None) is not None]


def part(entries: list, spec: str) -> list:
    """The K-th of N contiguous slices of entries (K/N, 1-based), the slices differing by at most one."""
    try:
        k, n = (int(x) for x in spec.split("/"))
    except ValueError:
        raise SystemExit(f"--part {spec!r}: expected K/N with integers, e.g. 1/4")
    if not 1 <= k <= n:
        raise SystemExit(f"--part {spec!r}: K must be between 1 and N")
    return entries[(k - 1) * len(entries) // n:k * len(entries) // n]


def time_compiled(ref, inputs, name: str):
    """torch.compile's median time, or None (with a line saying why) when it fails to compile."""
    from triton.testing import do_bench

    try:
        comp = torch.compile(ref)
        comp(*inputs)
        return do_bench(lambda: comp(*inputs), warmup=25, rep=100)
    except Exception as exc:  # compile failures are reported, not fatal
        print(f"  torch.compile failed for {name}: {type(exc).__name__}: {exc}"[:200])
        return None


def bandwidth(e, inputs, outs, t_new: float, dev):
    """For memory-bound problems: achieved GB/s (each input and output byte once) and its share of a
    copy moving the same bytes; (None, None) otherwise."""
    from triton.testing import do_bench

    if not e["memoryBound"]:
        return None, None
    moved = nbytes(tensors(inputs) + tensors(outs))
    gbps = moved / (t_new * 1e-3) / 1e9
    # the same traffic as one copy (moved / 2 bytes read and written): small problems do not
    # reach the 1 GiB copy's bandwidth either (launch, ramp-up and tail take a larger share)
    n4 = max(1, moved // 8)
    a_, b_ = torch.empty(n4, device=dev), torch.empty(n4, device=dev)
    t_copy = do_bench(lambda: b_.copy_(a_), warmup=25, rep=100)
    return gbps, 100 * gbps / (8 * n4 / (t_copy * 1e-3) / 1e9)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--manifest", default=os.path.join(HERE, "out", "offline", "manifest.json"))
    ap.add_argument("--no-compile", action="store_true")
    ap.add_argument("--only", action="append", default=[])
    ap.add_argument("--part", default=None, help="K/N: the K-th of N slices of the manifest (1-based)")
    ap.add_argument("--alt", default=None, help="a second manifest: its candidate of each problem is timed too")
    ap.add_argument("--no-f64", action="store_true", help="skip the float64 comparison")
    ap.add_argument("--skip-done", default=None,
                    help="an earlier run's output: the problems it printed a row for are skipped (a cut-off run resumed)")
    args = ap.parse_args()
    from triton.testing import do_bench
    from tritonize_harness.problem import load_problem

    base = os.path.dirname(os.path.abspath(args.manifest))
    entries = json.load(open(args.manifest))["problems"]
    alt_base = os.path.dirname(os.path.abspath(args.alt)) if args.alt else None
    alts = {e["name"]: e for e in json.load(open(args.alt))["problems"]} if args.alt else {}
    if args.only:
        entries = [e for e in entries if e["name"] in args.only]
    if args.part:
        entries = part(entries, args.part)
    if args.skip_done and os.path.exists(args.skip_done):
        done = {line.split()[0] for line in open(args.skip_done) if line.strip() and not line.startswith(" ")}
        entries = [e for e in entries if e["name"] not in done]
    dev = torch.device("cuda")
    print(f"device: {torch.cuda.get_device_name(0)}  torch {torch.__version__}")
    # The ceiling for memory-bound kernels: a large device-to-device copy, bytes read plus written.
    src = torch.randn(256 * 1024 * 1024, device=dev)
    dst = torch.empty_like(src)
    copy_gbps = 2 * src.numel() * 4 / (do_bench(lambda: dst.copy_(src), warmup=25, rep=200) * 1e-3) / 1e9
    del src, dst
    print(f"measured copy bandwidth (1 GiB fp32, read + write): {copy_gbps:.0f} GB/s")
    width = max([22] + [len(e["name"]) + (6 if e["name"] in alts else 0) for e in entries])
    header = f"{'problem':<{width}} {'ok':<4} {'err':>9} {'f64':>6} {'eag64':>6} {'triton ms':>10} {'eager ms':>9} {'compile ms':>10} {'vs eager':>9} {'vs comp':>8} {'GB/s':>8} {'% copy':>7} {'% same-size copy':>17}"
    print(header)
    print("-" * len(header))
    for e in entries:
        try:
            prob = load_problem(os.path.join(base, e["problem"]), e["sets"], module_name=f"bench_{e['name']}")
            init = prob.get_init_inputs()
            torch.manual_seed(0)
            ref = prob.Model(*init).to(dev)
            torch.manual_seed(1)
            inputs = [x.to(dev) if isinstance(x, torch.Tensor) else x for x in prob.get_inputs()]
            with torch.no_grad():
                expected = ref(*inputs)
                t_eager = do_bench(lambda: ref(*inputs), warmup=25, rep=100)
                t_comp = None if args.no_compile else time_compiled(ref, inputs, e["name"])
                ref64 = None if args.no_f64 else reference64(prob, init, inputs)
                e64 = f"{worst_over_tol(expected, ref64):.2f}" if ref64 is not None else "-"
            rows = [(e["name"], os.path.join(base, e["candidate"]))]
            if e["name"] in alts:
                rows.append((f"{e['name']} [alt]", os.path.join(alt_base, alts[e["name"]]["candidate"])))
            for j, (label, path) in enumerate(rows):
                cand = load_module(path, f"cand{j}_{e['name']}")
                torch.manual_seed(0)
                new = cand.ModelNew(*init).to(dev)
                with torch.no_grad():
                    outs = new(*inputs)
                    ok, err = close(expected, outs)
                    t_new = do_bench(lambda: new(*inputs), warmup=25, rep=100)
                    f64 = f"{worst_over_tol(outs, ref64):.2f}" if ref64 is not None else "-"
                gbps, size_pct = bandwidth(e, inputs, outs, t_new, dev)
                print(f"{label:<{width}} {'yes' if ok else 'NO':<4} {err:>9.2e} {f64:>6} {e64:>6} {t_new:>10.4f} {t_eager:>9.4f} "
                      f"{(f'{t_comp:.4f}' if t_comp else '-'):>10} {t_eager / t_new:>8.2f}x "
                      f"{(f'{t_comp / t_new:.2f}x' if t_comp else '-'):>8} {(f'{gbps:.0f}' if gbps else '-'):>8} "
                      f"{(f'{100 * gbps / copy_gbps:.0f}%' if gbps else '-'):>7} {(f'{size_pct:.0f}%' if size_pct else '-'):>17}",
                      flush=True)
                for line in tuned_configs(cand):
                    print(f"  {line}")
                del new, outs
            del ref, inputs, expected, ref64
            torch.cuda.empty_cache()
        except Exception as exc:
            print(f"{e['name']:<{width}} ERROR {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:300])
            traceback.print_exc(limit=2, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
