import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { authorOffline } from "./author.js";
import { parseCaptureDocument, type CapturedGraph } from "./graph.js";
import { plan } from "./plan.js";

function fixture(name: string): CapturedGraph {
  const doc = parseCaptureDocument(JSON.parse(readFileSync(new URL(`./fixtures/${name}.graph.json`, import.meta.url), "utf8")), name);
  if (!doc.ok) throw new Error(`fixture ${name} is a failure document`);
  return doc;
}

function code(g: CapturedGraph): string {
  const r = authorOffline(g);
  assert.ok(r.ok, r.ok ? "" : r.message);
  return r.code;
}

/** The graph with every shape's first dimension (inputs and nodes) multiplied by `f`. */
function scaled(g: CapturedGraph, f: number): CapturedGraph {
  const grow = (s: number[] | null): number[] | null => (s && s.length ? [s[0]! * f, ...s.slice(1)] : s);
  const restride = (shape: number[] | null, strides: number[] | null): number[] | null =>
    shape && strides ? shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1)) : strides;
  return {
    ...g,
    inputs: g.inputs.map((i) => ({ ...i, shape: grow(i.shape)!, strides: restride(grow(i.shape), i.strides)! })),
    nodes: g.nodes.map((n) => ({ ...n, shape: grow(n.shape), strides: restride(grow(n.shape), n.strides) })),
  };
}

test("a reversed scan reads and writes through flipped column indices: no flip kernels", () => {
  const p = plan(fixture("cumsum_reverse"));
  const ops = p.steps.filter((s) => s.kind === "ops");
  assert.equal(ops.length, 1);
  const s = ops[0]!;
  assert.ok(s.kind === "ops" && s.op.kind === "scan" && s.op.scan.flipIn?.op === "flip" && s.op.scan.flipOut?.op === "flip");
  const c = code(fixture("cumsum_reverse"));
  assert.match(c, /x0_col = \(n_cols - 1 - c0\) \* x0_d0/);
  assert.match(c, /out_col = \(n_cols - 1 - c0\) \* out_d0/);
  assert.doesNotMatch(c, /def k\d+_flip/);
});

test("an exclusive scan writes into its part of the cat; the zeros are filled in place", () => {
  const p = plan(fixture("cumsum_exclusive"));
  const cat = p.steps.find((s) => s.kind === "ops" && s.op.kind === "cat");
  assert.ok(cat && cat.kind === "ops" && cat.op.kind === "cat");
  assert.deepEqual(cat.op.parts.map((q) => q.kind), ["fill", "scan"]);
  assert.equal(p.steps.filter((s) => s.kind === "ops").length, 1);
  assert.doesNotMatch(code(fixture("cumsum_exclusive")), /def k\d+_copy/);
});

test("a masked scan folds the product with the mask into its load", () => {
  const p = plan(fixture("masked_cumsum"));
  assert.equal(p.steps.filter((s) => s.kind === "pointwise").length, 0);
  const s = p.steps.find((x) => x.kind === "ops");
  assert.ok(s && s.kind === "ops" && s.op.kind === "scan");
  assert.deepEqual(s.op.scan.prologue?.nodes.map((n) => n.op), ["mul"]);
});

test("reductions of one input over the same dims are one kernel each group", () => {
  const p = plan(fixture("multi_reductions"));
  const multi = p.steps.filter((s) => s.kind === "multireduction");
  assert.deepEqual(multi.map((s) => s.kind === "multireduction" && s.nodes.map((n) => n.op)), [
    ["mean", "var"],
    ["sum", "amax", "argmin", "linalg_vector_norm", "linalg_vector_norm", "linalg_vector_norm"],
    ["mean", "std"],
  ]);
  assert.equal((code(fixture("multi_reductions")).match(/^def k\d+_multi_reduce/gm) ?? []).length, 3);
});

test("a one-pass group over few long rows is split across programs, each chunk read once for all of it", () => {
  // y.mean(0) and y.std(0) of a (30000, 43) input: 43 rows of 30000 columns
  const g = scaled(fixture("multi_reductions"), 100);
  assert.equal(plan(g).steps.filter((s) => s.kind === "multireduction").length, 3);
  const c = code(g);
  assert.match(c, /mean, std over dims \[0\]: 43 row\(s\) of 30000 split into \d+ chunks, each read once for all of them/);
  assert.match(c, /^def k\d+_multi_reduce_partial\(/m);
  assert.match(c, /^def k\d+_multi_reduce_combine\(/m);
});

test("row kernels use 64-bit rows and columns only when an operand has 2^31 elements or more", () => {
  const small = code(fixture("cumsum_reverse"));
  assert.doesNotMatch(small, /int64/);
  // (3 * 2^26, 37) elements: over 2^31
  const big = code(scaled(fixture("cumsum_reverse"), 2 ** 26));
  assert.match(big, /rows = pid\.to\(tl\.int64\) \* BLOCK_M/);
  assert.match(big, /cols0 = tl\.arange\(0, BLOCK_N\)\.to\(tl\.int64\)/);
});

test("pooling reads its sizes at call time and picks 64-bit offsets per call", () => {
  const c = code(fixture("avg_pool2d"));
  assert.match(c, /WIDE=x_\w+\.numel\(\) >= 2\*\*31/);
  assert.match(c, /_pool_out_size\(x_\w+\.shape\[2\], 11, 11, 0, 1, False\)/);
  assert.doesNotMatch(c, /raise ValueError/);
});

test("pooling walks one output row per program row when the last output dimension is long, flat blocks otherwise", () => {
  const c = code(fixture("avg_pool2d"));
  // chosen per call from the output's last dimension
  assert.match(c, /def _pool_grid\(out\):[\s\S]*if last >= 64 and rows < 2\*\*31 and triton\.cdiv\(last, block\) <= 65535:/);
  assert.match(c, /grid, rows, block = _pool_grid\(v_\w+\)\n\s+k\d_avg_pool2d\[grid\]\(.*ROWS=rows, .*BLOCK=block/);
  // by rows: the row's coordinates are scalars, the last one a contiguous block
  assert.match(c, /if ROWS:\n\s+row = tl\.program_id\(0\)\n\s+o3 = tl\.program_id\(1\) \* BLOCK \+ tl\.arange\(0, BLOCK\)/);
  assert.match(c, /else:\n\s+pid = tl\.program_id\(0\)[\s\S]*o3 = offs % O3\n\s+rem = offs \/\/ O3/);
});

test("a module specialised to the captured sizes says so when called at others", () => {
  assert.match(code(fixture("cumsum_reverse")), /if \(tuple\(x\.shape\),\) != \(\(3, 37\),\):\n\s+raise ValueError\("this ModelNew was generated for inputs of shapes x \(3, 37\)/);
});

test("a norm over few long rows is split over about 64 programs per SM", () => {
  // BatchNorm of (40000, 6, 5, 7): 6 channels of 1.4M columns; at 4 programs per SM it was 114 chunks
  const c = code(scaled(fixture("batchnorm"), 10000));
  assert.match(c, /# batch_norm: 6 row\(s\) of 1400000 split into 684 chunks/);
});

test("pooling computes float64 windows in float64, not through fp32", () => {
  const g = fixture("avg_pool2d");
  const f64 = {
    ...g,
    inputs: g.inputs.map((i) => ({ ...i, dtype: "float64" as const })),
    nodes: g.nodes.map((n) => ({ ...n, dtype: "float64" as const })),
  };
  const c = code(f64);
  assert.match(c, /acc = tl\.zeros\(\[BLOCK\], tl\.float64\)/);
  assert.match(c, /acc \+= tl\.load\([^\n]*\)\.to\(tl\.float64\)/);
  assert.doesNotMatch(c, /tl\.float32/);
});
