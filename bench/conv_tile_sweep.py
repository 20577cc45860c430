"""Every tile of the offline author's convolution kernels at full size, timed alone: which tile
the autotuner should have picked, and whether the tile matters at all. For each problem of a
manifest written by bench/prepare-offline.ts it prints the whole forward, eager, the convolution
kernel as autotuned, a cuBLAS TF32 product of the same GEMM size and a fill of the output, then
the kernel with each (BLOCK_M, BLOCK_N, warps) of a list, BLOCK_K 16/32/64 where the layer's
channel slots allow, and 2-4 stages: one line per configuration as it goes (a cut-off run keeps
what it printed).

    python bench/conv_tile_sweep.py bench/out/conv NAME... [--small: four tile shapes]

Needs a CUDA GPU.
"""
from __future__ import annotations

import importlib.util
import itertools
import json
import os
import sys
import time

import torch
import triton
from triton.testing import do_bench

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))

from tritonize_harness.problem import load_problem  # noqa: E402

SHAPES = [(128, 128, 4), (128, 128, 8), (128, 256, 8), (256, 128, 8), (128, 64, 4), (64, 128, 4), (256, 64, 8), (64, 64, 4)]


def ms(fn) -> float:
    return do_bench(fn, warmup=5, rep=40)


def load(root: str, entry: dict):
    """The reference model, its inputs on the GPU, and the candidate module with its ModelNew."""
    p = load_problem(os.path.normpath(os.path.join(root, entry["problem"])))
    torch.manual_seed(0)
    model = p.Model(*p.get_init_inputs()).cuda()
    inputs = [t.cuda() for t in p.get_inputs()]
    spec = importlib.util.spec_from_file_location("candidate_" + entry["name"][:3], os.path.join(root, entry["candidate"]))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    new = mod.ModelNew(*p.get_init_inputs()).cuda()
    new.load_state_dict(model.state_dict())
    return model, inputs, mod, new


def grab_launch(mod, new, inputs):
    """Runs forward once, recording the convolution kernel's launch (grid, arguments)."""
    name = next(k for k in dir(mod) if k.startswith("k") and "_conv" in k and hasattr(getattr(mod, k), "fn"))
    real, got = getattr(mod, name), {}

    class Recording:
        def __getitem__(self, grid):
            def call(*a, **k):
                got.update(grid=grid, a=a, k=k)
                return real[grid](*a, **k)
            return call

    setattr(mod, name, Recording())
    try:
        with torch.no_grad():
            out = new(*inputs)
    finally:
        setattr(mod, name, real)
    return real, got["grid"], got["a"], dict(got["k"]), out


def block_ks(k: dict) -> list[int]:
    """BLOCK_K values the layer's channel slots allow: a divisor of CP (one tap a step) or a multiple (packed taps)."""
    cp, wide = k.get("CP", 0), k.get("C_IN_G", 16) >= 16
    return [b for b in (16, 32, 64) if cp and (cp % b == 0 if wide else b % cp == 0)]


def sweep(name: str, real, grid, a, k, small: bool) -> None:
    M, N, K = a[3], a[4], a[5]
    flops = 2 * M * N * K
    results = []
    for (bm, bn, w), bk, s in itertools.product(SHAPES[:4] if small else SHAPES, block_ks(k), (2, 3, 4)):
        if bn > max(16, triton.next_power_of_2(N)):
            continue
        kk, meta = {**k, "BLOCK_K": bk}, {"BLOCK_M": bm, "BLOCK_N": bn}
        g = grid(meta)
        tag = f"  {bm}x{bn}x{bk} w{w} s{s}"
        try:
            t0 = time.time()
            real.fn.warmup(*a, grid=g, **kk, **meta, num_warps=w, num_stages=s)
            compile_s = time.time() - t0
            t = ms(lambda: real.fn[g](*a, **kk, **meta, num_warps=w, num_stages=s))
        except Exception as exc:  # a tile that does not compile (shared memory) is reported, not fatal
            print(f"{tag}: FAILED {type(exc).__name__}: {str(exc)[:100]}", flush=True)
            continue
        results.append((t, bm, bn, bk, w, s))
        print(f"{tag}: {t:.3f} ms ({flops / t / 1e9:.0f} TFLOP/s) compile {compile_s:.1f}s", flush=True)
    print(f"  {name} best: {sorted(results)[:3]}", flush=True)


def main() -> None:
    args = [x for x in sys.argv[1:] if x != "--small"]
    root, names = args[0], args[1:]
    manifest = {e["name"]: e for e in json.load(open(os.path.join(root, "manifest.json")))["problems"]}
    torch.backends.cuda.matmul.allow_tf32 = True
    for name in names:
        model, inputs, mod, new = load(root, manifest[name])
        real, grid, a, k, out = grab_launch(mod, new, inputs)
        with torch.no_grad():
            err = float((out - model(*inputs)).abs().max())
            t_new, t_eager = ms(lambda: new(*inputs)), ms(lambda: model(*inputs))
        M, N, K = a[3], a[4], a[5]
        A, B = torch.randn(M, K, device="cuda"), torch.randn(K, N, device="cuda")
        t_kernel, t_mm = ms(lambda: real[grid](*a, **k)), ms(lambda: A @ B)
        fill = torch.empty(out.numel(), device="cuda")
        t_fill = ms(lambda: fill.fill_(1.0))
        del A, B, fill
        print(f"== {name}: M={M} N={N} K={K} err={err:.2e} autotuned {real.best_config}", flush=True)
        print(f"  forward {t_new:.3f} ms  eager {t_eager:.3f}  conv kernel {t_kernel:.3f}  cuBLAS TF32 same GEMM {t_mm:.3f}"
              f"  fill of the output {t_fill:.3f}", flush=True)
        sweep(name, real, grid, a, k, "--small" in sys.argv)


if __name__ == "__main__":
    main()
