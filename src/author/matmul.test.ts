import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { promisify } from "node:util";
import { authorOffline } from "./author.js";
import { parseCaptureDocument, type CapturedGraph } from "./graph.js";
import { K_MAJOR_HELPER } from "./matmul-relay.js";
import { gpuConfigs, matvecSplit, tiles } from "./matmul-tiles.js";
import { resolvePython } from "../harness/python.js";

function fixture(name: string): CapturedGraph {
  const url = new URL(`./fixtures/${name}.graph.json`, import.meta.url);
  const doc = parseCaptureDocument(JSON.parse(readFileSync(url, "utf8")), name);
  if (!doc.ok) throw new Error(`fixture ${name} is a failure document`);
  return doc;
}

/** The square product (a @ b, both [n, n] row-major) at another size and dtype. */
function square(n: number, dtype = "float32"): CapturedGraph {
  const g = structuredClone(fixture("square_matmul"));
  for (const i of g.inputs) Object.assign(i, { shape: [n, n], strides: [n, 1], dtype });
  for (const node of g.nodes) Object.assign(node, { shape: [n, n], dtype });
  return g;
}

function code(g: CapturedGraph, options = {}): string {
  const r = authorOffline(g, options);
  assert.ok(r.ok, r.ok ? "" : r.message);
  return r.ok ? r.code : "";
}

test("fp32 products read both operands K-major, autotune Hopper tiles keyed on the shape, and mask only the last K block", () => {
  const c = code(square(4096));
  assert.match(c, /a_v = _k_major\(a, -1, 32\)\.expand/);
  assert.match(c, /b_v = _k_major\(b, -2, 32\)\.expand/);
  assert.match(c, /def _k_major_copy\(/);
  assert.match(c, /@triton\.autotune\(configs=_mm_configs\(\[\(128, 128, 64, 8, 3\), \(128, 128, 32, 8, 4\), \(128, 256, 32, 8, 3\), \(64, 128, 64, 4, 4\)\]\), key=\["M", "N", "K"\]\)/);
  assert.match(c, /chosen = gpu if torch\.cuda\.is_available\(\) else gpu\[:1\]/);
  assert.match(c, /grid = lambda meta: \(triton\.cdiv\(4096, meta\["BLOCK_M"\]\) \* triton\.cdiv\(4096, meta\["BLOCK_N"\]\), 1\)/);
  assert.match(c, /for kk in range\(0, k_len \/\/ BLOCK_K\):\n        a = tl\.load\(a_ptrs\)\n        b = tl\.load\(b_ptrs\)/);
  assert.match(c, /@triton\.heuristics\(\{"EVEN_K": lambda args: args\["K"\] % args\["BLOCK_K"\] == 0\}\)\n@triton\.jit/);
  assert.match(c, /if not EVEN_K:\n        k_mask = ks < k_len % BLOCK_K/);
  assert.match(c, /input_precision="tf32x3"/);
});

test("fp16 products need no re-layout; the exact-fp32 variant keeps one fixed tile and no copies", () => {
  const half = code(square(4096, "float16"));
  assert.doesNotMatch(half, /_k_major/);
  assert.match(half, /_mm_configs\(\[\(128, 256, 64, 8, 3\)/);
  const ieee = code(square(4096), { fp32Products: "ieee" });
  assert.doesNotMatch(ieee, /_k_major|triton\.autotune/);
  assert.match(ieee, /BLOCK_M=64, BLOCK_N=64, BLOCK_K=32, GROUP_M=8, EVEN_K=True, num_warps=4, num_stages=3\)/);
});

test("matrix-vector products (N = 1, and M = 1 as the transposed product) get the bandwidth kernel, not tensor cores", () => {
  const c = code(fixture("matmul_layouts"));
  const kernels = c.split("@triton.jit").slice(1);
  const matvec = kernels.filter((k) => /def k\d+_matvec\(/.test(k));
  assert.equal(matvec.length, 2);
  for (const k of matvec) assert.doesNotMatch(k, /tl\.dot/);
  // the row vector times w: rows of w^T, written through the output's transposed view
  assert.match(c, /k\d+_matvec\[\(triton\.cdiv\(23, mv_tile\[0\]\), 1\)\]\(b_v\.t\(\), a_v,/);
  assert.match(c, /k\d+_matvec_sum\[.*\]\(p_v_matmul_2, \*p_v_matmul_2\.stride\(\), v_matmul_2\.t\(\),/);
  assert.match(c, /mv_tile = \(16, 256\) if a_v\.stride\(1\) == 1 else \(128, 32\)/);
  // products far under 8.6 GFLOP keep the shape's own tile, one configuration
  assert.match(c, /@triton\.autotune\(configs=_mm_configs\(\[\(32, 32, 64, 4, 3\)\]\), key=\["M", "N", "K"\]\)\n@triton\.heuristics\(.*\)\n@triton\.jit\ndef k0_matmul/);
  // the 4-D product batches over both leading dimensions, B broadcast
  assert.match(c, /b_v = _k_major\(w, -2, 1\)\.expand\(\(2, 3, 37, 23\)\)/);
});

test("a triu/tril that is a product's only user is applied at its store, and tiles it zeroes skip the product", () => {
  const g = fixture("matmul_layouts");
  const r = authorOffline(g);
  assert.ok(r.ok, r.ok ? "" : r.message);
  if (!r.ok) return;
  assert.ok(r.steps.includes("matmul + triu") && r.steps.includes("matmul + tril"));
  assert.doesNotMatch(r.code, /def k\d+_(triu|tril)\(/);
  assert.match(r.code, /k_len = tl\.where\(\(pid_n \* BLOCK_N \+ BLOCK_N - 1\) - pid_m \* BLOCK_M < 1, 0, K\)/);
  assert.match(r.code, /c = tl\.where\(\(offs_n\[None, :\] - offs_m\[:, None\]\) >= 1, c, 0\.0\)/);
  assert.match(r.code, /k_len = tl\.where\(pid_n \* BLOCK_N - \(pid_m \* BLOCK_M \+ BLOCK_M - 1\) > -2, 0, K\)/);
  assert.match(r.code, /c = tl\.where\(\(offs_n\[None, :\] - offs_m\[:, None\]\) <= -2, c, 0\.0\)/);
});

test("tile choice counts the batch, the autotuner's set is clipped to the shape, and a matvec fills the GPU", () => {
  // 128 products of 512 x 2048: plenty of programs at 128 x 128 (without the batch it would shrink)
  assert.deepEqual(tiles(512, 2048, 1024, false, 128), { BM: 128, BN: 128, BK: 64, warps: 8, stages: 3 });
  assert.equal(tiles(512, 2048, 1024, false, 1).BM, 64);
  // K = 32: one block deep, two stages
  const shallow = gpuConfigs(32768, 32768, 32, false, 1);
  assert.ok(shallow.every((t) => t.BK === 32 && t.stages === 2));
  assert.ok(gpuConfigs(40, 24, 48, true, 1).every((t) => t.BM <= 64 && t.BN <= 32));
  // KernelBench's 2048 x 1048576 matrix-vector product: 128 chunks of 8192
  assert.deepEqual(matvecSplit(2048, 1048576), { split: 128, chunk: 8192 });
  assert.deepEqual(matvecSplit(37, 531), { split: 1, chunk: 768 });
});

test("_k_major returns K-major aligned operands as they are and copies the others K-major with 16-element rows", { timeout: 120_000 }, async () => {
  const script = `
import torch, triton
import triton.language as tl
${K_MAJOR_HELPER}

def check(t, k_dim, strides, reads=8):
    r = _k_major(t, k_dim, reads)
    assert r.stride() == strides, (tuple(t.shape), r.stride(), strides)
    assert torch.equal(r, t)
    return r

a = torch.randn(64, 48)
assert _k_major(a, -1, 8) is a                      # [M, K] row-major, aligned rows
bt = torch.randn(24, 32).t()
assert _k_major(bt, -2, 8) is bt                    # [K, N] stored [N, K]
u = torch.randn(19, 37)
assert _k_major(u, -1, 2) is u                      # rows unaligned, but read only twice
check(torch.randn(37, 19).t(), -1, (48, 1))         # A^T: M-major
check(torch.randn(37, 23), -2, (1, 48))             # B row-major: N-major
check(torch.randn(19, 37), -1, (48, 1))             # K-major, rows not aligned, read 8 times
check(torch.randn(37, 23), -2, (1, 48), reads=1)    # N-major: copied however few the reads
check(torch.randn(2, 3, 19, 37), -1, (3 * 19 * 48, 19 * 48, 48, 1))
check(torch.randn(3, 37, 23), -2, (23 * 48, 1, 48))
print("ok")
`;
  const python = await resolvePython();
  const { stdout } = await promisify(execFile)(python, ["-c", script], { env: { ...process.env, TRITON_INTERPRET: "1" } });
  assert.equal(stdout.trim(), "ok");
});
