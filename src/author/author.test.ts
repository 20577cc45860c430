import { strict as assert } from "node:assert";
import { readFileSync, existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { authorOffline } from "./author.js";
import { parseCaptureDocument, type CapturedGraph } from "./graph.js";
import { plan } from "./plan.js";
import { runProblem, type RunDeps } from "./run-offline.js";
import type { Verdict } from "../harness/verdict.js";

function fixture(name: string): CapturedGraph {
  const url = new URL(`./fixtures/${name}.graph.json`, import.meta.url);
  const doc = parseCaptureDocument(JSON.parse(readFileSync(url, "utf8")), name);
  if (!doc.ok) throw new Error(`fixture ${name} is a failure document`);
  return doc;
}

test("a pointwise chain becomes one kernel", () => {
  const p = plan(fixture("pointwise_chain"));
  const kernels = p.steps.filter((s) => s.kind !== "view");
  assert.equal(kernels.length, 1);
  const s = kernels[0]!;
  assert.equal(s.kind, "pointwise");
  if (s.kind === "pointwise") assert.deepEqual(s.group.nodes.map((n) => n.op), ["mul", "add", "gelu", "add", "relu", "sub"]);
});

test("the pointwise chain after a linear layer is its epilogue, and fp32 uses 3xTF32 products", () => {
  const g = fixture("linear_epilogue");
  const p = plan(g);
  assert.equal(p.steps.length, 1);
  const s = p.steps[0]!;
  assert.equal(s.kind, "matmul");
  if (s.kind === "matmul") assert.deepEqual(s.epilogue?.nodes.map((n) => n.op), ["gelu", "add", "sigmoid", "mul"]);
  const r = authorOffline(g);
  assert.ok(r.ok);
  if (r.ok) {
    assert.match(r.code, /input_precision="tf32x3"/);
    assert.equal(r.kernels, 1);
  }
});

test("a deep product (K >> M, N) is split along K into fp64 partials (fp32 block products summed in fp64) and a summing kernel; a shallow one is not", () => {
  const shallow = authorOffline(fixture("linear_epilogue"));
  assert.ok(shallow.ok);
  if (shallow.ok) {
    assert.doesNotMatch(shallow.code, /K_CHUNK|_sum\(/);
    assert.equal(shallow.kernels, 1);
  }
  // the same graph with K = 131072 (x: [13, K], fc.weight: [29, K])
  const g = structuredClone(fixture("linear_epilogue"));
  const K = 131072;
  g.inputs[0]!.shape = [13, K];
  g.inputs[0]!.strides = [K, 1];
  const w = g.params.find((p) => p.id === "p_fc_weight")!;
  w.shape = [29, K];
  w.strides = [K, 1];
  const deep = authorOffline(g);
  assert.ok(deep.ok, deep.ok ? "" : deep.message);
  if (deep.ok) {
    assert.equal(deep.kernels, 2);
    assert.match(deep.code, /pid_s = tl\.program_id\(2\)/);
    assert.match(deep.code, /torch\.empty\(\(32, 13, 29\), device=[^)]*, dtype=torch\.float64\)/);
    assert.match(deep.code, /acc \+= tl\.dot\(.*\)\.to\(tl\.float64\)/);
    assert.match(deep.code, /grid = \(\d+, 1, 32\)/);
    assert.match(deep.code, /_sum\[\(\d+, \d+\)\]\(.*SPLIT=32/);
    // the epilogue (gelu -> add -> sigmoid -> mul) runs in the summing kernel, after the partials are added
    const sumKernel = deep.code.slice(deep.code.indexOf("_sum(p_ptr"));
    assert.match(sumKernel, /acc \+= tl\.load\(p_ptrs \+ s \* p_ss/);
    assert.match(sumKernel, /sigmoid/);
  }
});

test("the pointwise chain before a reduction is folded into its load", () => {
  const p = plan(fixture("rmsnorm"));
  const red = p.steps.find((s) => s.kind === "reduction");
  assert.ok(red && red.kind === "reduction");
  assert.deepEqual(red.prologue?.nodes.map((n) => n.op), ["pow"]);
  assert.ok(p.steps.some((s) => s.kind === "norm" && s.node.op === "rms_norm"));
});

test("a pointwise chain that applies a reduction's result to its own input runs in the reduction's kernel", () => {
  // x / sqrt(mean(x ** 2, dim=1, keepdim=True) + eps): the division over x needs no kernel of its own
  const g = fixture("rmsnorm");
  const red = plan(g).steps.find((s) => s.kind === "reduction");
  assert.ok(red && red.kind === "reduction");
  assert.deepEqual(red.epilogue?.nodes.map((n) => n.op), ["add", "sqrt", "div"]);
  const r = authorOffline(g);
  assert.ok(r.ok, r.ok ? "" : r.message);
  if (!r.ok) return;
  assert.equal(r.kernels, 2);
  assert.match(r.code, /fused after it over the whole input/);
  assert.match(r.code, /tl\.store\(out_ptr \+ out_row\[:, None\] \+ out_col\[None, :\], t_div/);
});

test("triu, tril and diag of a vector are index-masked kernels; diag of a matrix is a copy of its diagonal", () => {
  const g = fixture("indexed");
  const p = plan(g);
  assert.deepEqual(p.unsupported, []);
  assert.deepEqual(p.steps.filter((s) => s.kind === "indexed").map((s) => s.kind === "indexed" && s.node.op), ["triu", "tril", "diag", "diag"]);
  const r = authorOffline(g);
  assert.ok(r.ok, r.ok ? "" : r.message);
  if (!r.ok) return;
  assert.equal(r.kernels, 3);
  assert.match(r.code, /keep = \(i1 - i0\) >= 1/);
  assert.match(r.code, /keep = \(i1 - i0\) <= -1/);
  assert.match(r.code, /on = \(i1 - i0\) == 1/);
  assert.match(r.code, /\.diagonal\(0\)\.clone\(\)/);
});

test("two reductions whose inputs share a value are one pass; the group combining them is the next step's prologue", () => {
  // triplet_margin_loss: mean(clamp_min(norm(a - p) + margin - norm(a - n), 0)); both norms read a
  const p = plan(fixture("two_norms"));
  const multi = p.steps.filter((s) => s.kind === "multireduction");
  assert.deepEqual(multi.map((s) => s.kind === "multireduction" && [s.nodes.map((n) => n.id), s.prologues.map((g) => g?.nodes.map((n) => n.op))]), [
    [["norm", "norm_1"], [["sub", "add"], ["sub", "add"]]],
  ]);
  const mean = p.steps.find((s) => s.kind === "reduction" && s.node.op === "mean");
  assert.deepEqual(mean && mean.kind === "reduction" && mean.prologue?.nodes.map((n) => n.op), ["add", "sub", "clamp_min"]);
  const r = authorOffline(fixture("two_norms"));
  assert.ok(r.ok);
  assert.match(r.code, /l2, l2 over dims \[1\]: one kernel reads a, p, n once for all of them/);
});

test("a reduction whose input reads another's result is not computed in the same pass", () => {
  // norm(a - p) beside norm(a - norm(a - p)): both read a, but the second needs the first's result
  const g = fixture("two_norms");
  const chained = { ...g, nodes: g.nodes.map((n) => (n.id === "sub_1" ? { ...n, args: [{ input: "a" }, { node: "norm" }] } : n)) };
  assert.equal(plan(chained).steps.filter((s) => s.kind === "multireduction").length, 0);
});

test("a pointwise group combining two reductions of unrelated inputs is the epilogue of the first only", () => {
  // norm(a - p) + margin - norm(n - n'): nothing read in common
  const g = fixture("two_norms");
  const apart = { ...g, nodes: g.nodes.map((n) => (n.id === "sub_1" ? { ...n, args: [{ input: "n" }, { input: "n" }] } : n)) };
  const p = plan(apart);
  assert.equal(p.steps.filter((s) => s.kind === "multireduction").length, 0);
  const norms = p.steps.filter((s) => s.kind === "reduction" && s.node.op === "norm");
  // in step order: the plain norm first, then the one whose epilogue reads it
  assert.deepEqual(norms.map((s) => (s.kind === "reduction" && s.epilogue ? s.epilogue.nodes.map((n) => n.op) : null)), [null, ["add", "sub", "clamp_min"]]);
  assert.ok(authorOffline(apart).ok);
});

test("ModelNew keeps the problem's __init__ and its forward only allocates, views and launches", () => {
  for (const name of ["linear_epilogue", "pointwise_chain", "rmsnorm", "reductions", "batchnorm"]) {
    const r = authorOffline(fixture(name));
    assert.ok(r.ok, name);
    if (!r.ok) continue;
    const cls = r.code.slice(r.code.indexOf("class ModelNew(nn.Module):"));
    const fwd = cls.slice(cls.indexOf("def forward"));
    const calls = [...fwd.matchAll(/torch\.(\w+)\(/g)].map((m) => m[1]);
    assert.deepEqual([...new Set(calls)].filter((c) => c !== "empty"), [], `${name}: torch calls in forward`);
    assert.doesNotMatch(fwd, /\bF\./);
    assert.match(fwd, /\[grid\]\(/);
    assert.match(r.code, /^import triton\.language as tl$/m);
    assert.doesNotMatch(r.code, /^(from|import) (?!torch|triton|math)/m);
  }
  const bn = authorOffline(fixture("batchnorm"));
  assert.ok(bn.ok);
  // the module's mode decides at call time: batch statistics in training, running ones in eval
  if (bn.ok) assert.match(bn.code, /use_batch_stats = bool\(self\.bn\.training\)/);
});

test("an operator it does not cover is named in one line that says how to use the model path", () => {
  const g = structuredClone(fixture("pointwise_chain"));
  g.nodes[2] = { ...g.nodes[2]!, op: "convolution", target: "aten.convolution.default" };
  const r = authorOffline(g);
  assert.equal(r.ok, false);
  if (!r.ok) {
    assert.equal(r.op, "convolution");
    assert.equal(r.message.split("\n").length, 1);
    assert.match(r.message, /convolution/);
    assert.match(r.message, /OPENAI_API_KEY/);
    assert.match(r.message, /TRITONIZE_MODEL/);
  }
});

function verdict(ok: boolean): Verdict {
  return {
    schema: "tritonize.verdict/1", ok, stage: ok ? "passed" : "correctness", code: ok ? null : "mismatch",
    message: ok ? "ACCEPTED: 2 trials matched" : "output 0 differs", details: {}, line: null, traceback: null, trials: [],
    maxAbsErr: 0, maxRelErr: 0, worstIndex: null, launches: 1, atenOps: [], degenerate: false, tolerance: null,
    device: "cpu", interpreter: true, problem: "p", candidate: "c", durationMs: 1,
  };
}

function deps(over: Partial<RunDeps>): RunDeps {
  return {
    capture: async () => fixture("linear_epilogue"),
    verify: async () => verdict(true),
    modelAuthor: null,
    providerConfigured: false,
    ...over,
  };
}

test("run writes model_new.py and the run record, and is ok only when verified", async () => {
  const out = mkdtempSync(join(tmpdir(), "tritonize-run-"));
  const good = await runProblem({ problem: "examples/offline/linear_epilogue.py", outDir: out, author: "offline" }, deps({}));
  assert.equal(good.ok, true);
  assert.equal(good.status, "verified");
  assert.ok(good.modelNew && existsSync(good.modelNew));
  for (const f of ["graph.json", "verdict.json", "summary.json", "events.jsonl"]) assert.ok(existsSync(join(good.runDir, f)), f);
  const bad = await runProblem({ problem: "examples/offline/linear_epilogue.py", outDir: out }, deps({ verify: async () => verdict(false) }));
  assert.equal(bad.ok, false);
  assert.equal(bad.status, "rejected");
});

test("run without a provider stops at an uncovered op with the one-line message", async () => {
  const out = mkdtempSync(join(tmpdir(), "tritonize-run-"));
  const g = structuredClone(fixture("pointwise_chain"));
  g.nodes[0] = { ...g.nodes[0]!, op: "scatter_add", target: "aten.scatter_add.default" };
  let verified = false;
  const r = await runProblem(
    { problem: "p.py", outDir: out, author: "auto" },
    deps({ capture: async () => g, verify: async () => ((verified = true), verdict(true)) }),
  );
  assert.equal(r.ok, false);
  assert.equal(r.status, "unsupported");
  assert.equal(r.modelNew, null);
  assert.equal(verified, false);
  assert.match(r.message, /scatter_add.*ANTHROPIC_API_KEY/);
});

test("run reports a capture failure (e.g. data-dependent control flow)", async () => {
  const out = mkdtempSync(join(tmpdir(), "tritonize-run-"));
  const r = await runProblem(
    { problem: "p.py", outDir: out, author: "offline" },
    deps({
      capture: async () => ({ schema: "tritonize.graph/1", ok: false, problem: "p.py", code: "trace_failed", line: 5, message: "tracing failed: data-dependent control flow at line 5" }),
    }),
  );
  assert.equal(r.ok, false);
  assert.equal(r.status, "capture_failed");
  assert.match(r.message, /data-dependent/);
});

test("auto hands an uncovered graph to the model author when a provider is configured", async () => {
  const out = mkdtempSync(join(tmpdir(), "tritonize-run-"));
  const g = structuredClone(fixture("pointwise_chain"));
  g.nodes[0] = { ...g.nodes[0]!, op: "scatter_add", target: "aten.scatter_add.default" };
  let asked = 0;
  const r = await runProblem(
    { problem: "p.py", outDir: out, author: "auto" },
    deps({
      capture: async () => g,
      providerConfigured: true,
      modelAuthor: async () => ((asked += 1), { ok: true, code: "# from the model\n" }),
    }),
  );
  assert.equal(asked, 1);
  assert.equal(r.author, "model");
  assert.equal(r.ok, true);
  // and a covered graph never reaches the model under auto
  const covered = await runProblem(
    { problem: "p.py", outDir: out, author: "auto" },
    deps({ providerConfigured: true, modelAuthor: async () => ((asked += 1), { ok: true, code: "" }) }),
  );
  assert.equal(covered.author, "offline");
  assert.equal(asked, 1);
});

test("a 3xTF32 candidate rejected for a mismatch is retried once with exact fp32 products", async () => {
  const out = mkdtempSync(join(tmpdir(), "tritonize-run-"));
  const seen: string[] = [];
  const r = await runProblem(
    { problem: "examples/offline/linear_epilogue.py", outDir: out, author: "offline" },
    deps({
      verify: async (v) => {
        const code = readFileSync(v.candidate, "utf8");
        seen.push(code.includes('input_precision="ieee"') ? "ieee" : "tf32x3");
        return code.includes('input_precision="ieee"') ? verdict(true) : verdict(false);
      },
    }),
  );
  assert.deepEqual(seen, ["tf32x3", "ieee"]);
  assert.equal(r.ok, true);
  assert.ok(existsSync(join(r.runDir, "model_new.first.py")));
  // a candidate that passes is not retried
  seen.length = 0;
  await runProblem({ problem: "examples/offline/linear_epilogue.py", outDir: out, author: "offline" }, deps({ verify: async (v) => (seen.push(v.candidate), verdict(true)) }));
  assert.equal(seen.length, 1);
});
