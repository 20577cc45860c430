import { strict as assert } from "node:assert";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { captureGraph } from "../author/capture.js";
import { runProblem } from "../author/run-offline.js";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { resolvePython } from "../harness/python.js";
import { verifyCandidate } from "../harness/verify.js";
import { pipelineDeps } from "./cli-deps.js";
import { runPipeline, type PipelineResult } from "./run-pipeline.js";

/**
 * The whole models of examples/models, with no provider: routed, cut, authored offline, composed
 * and verified end to end on CPU through Triton's interpreter (one trial each; about two minutes
 * on two cores, it runs the real thing).
 */
const models = fileURLToPath(new URL("../../examples/models/", import.meta.url));
const out = mkdtempSync(join(tmpdir(), "tritonize-pipeline-e2e-"));

/** model_new.py loaded as KernelBench's evaluation loads a Triton submission (python/tests/kernelbench_loader.py). */
async function kernelBenchLoads(problem: string, modelNew: string): Promise<{ ok: boolean; error: string | null }> {
  const loader = fileURLToPath(new URL("../../python/tests/kernelbench_loader.py", import.meta.url));
  const { stdout } = await promisify(execFile)(await resolvePython(), [loader, "--reference", problem, "--submission", modelNew, "--trials", "2"], {
    env: { ...process.env, TRITON_INTERPRET: "1" },
  });
  return JSON.parse(stdout.trim().split("\n").pop()!);
}

async function run(name: string): Promise<PipelineResult> {
  const deps = pipelineDeps({
    config: null,
    direct: (r) => runProblem(r, { capture: captureGraph, verify: verifyCandidate, modelAuthor: null, providerConfigured: false }),
    outDir: join(out, "runs"),
  });
  const r = await runPipeline({ problem: join(models, `${name}.py`), device: "cpu", trials: 1, outDir: join(out, "runs"), jobs: 2, noFallback: true }, deps);
  assert.ok(r.ok, `${name}: ${r.status}: ${r.message}`);
  return r;
}

test("a loop over three identical blocks is one kernel used three times", { timeout: 300_000 }, async () => {
  const r = await run("block_loop");
  assert.equal(r.route, "pipeline");
  const block = r.pipeline!.subgraphs.find((s) => s.ops.includes("layer_norm"));
  assert.equal(block?.count, 3);
  const composed = readFileSync(join(r.runDir, "composed.py"), "utf8");
  assert.match(composed, /for blk in self\.blocks:\n\s+x, = self\._tz_r\d+\(blk, x\)/);
  const mapping = JSON.parse(readFileSync(join(r.runDir, "mapping.json"), "utf8"));
  assert.equal(mapping.certain, true);
  assert.ok(mapping.kernels.some((k: { arguments: { expr: string }[] }) => k.arguments.some((a) => a.expr === "blk.fc.weight")));
});

test("a stem and repeated blocks in one ModuleList loop: one kernel per shape, weights read through the loop's module", { timeout: 300_000 }, async () => {
  const r = await run("stem_and_blocks");
  assert.equal(r.route, "pipeline");
  assert.deepEqual(r.pipeline!.subgraphs.map((s) => s.count).sort(), [1, 2]);
  const composed = readFileSync(join(r.runDir, "composed.py"), "utf8");
  assert.match(composed, /if tuple\(x\.shape\) == \(4, 16\):\n\s+return tuple\(_sg\d+_run\(x, layer\.weight, layer\.bias\)\)/);
  assert.doesNotMatch(composed, /self\.layers\[\d\]\.weight/);
});

test("an if on a tensor condition stays Python, and both sides are verified", { timeout: 300_000 }, async () => {
  const r = await run("tensor_branch");
  const composed = readFileSync(join(r.runDir, "composed.py"), "utf8");
  assert.match(composed, /if self\._tz_c\d+\(h\):/);
  assert.match(composed, /else:/);
  assert.deepEqual(r.pipeline!.branches.map((b) => `${b.side}:${b.status}`), ["true:verified", "false:verified"]);
  const kb = await kernelBenchLoads(join(models, "tensor_branch.py"), r.modelNew!);
  assert.ok(kb.ok, `KernelBench's loading protocol: ${kb.error}`);
});

test("a loop with an early exit keeps its break", { timeout: 300_000 }, async () => {
  const r = await run("early_exit");
  const composed = readFileSync(join(r.runDir, "model_new.py"), "utf8");
  assert.match(composed, /if self\._tz_c\d+\(update\):\n\s+break/);
  assert.equal(r.pipeline!.subgraphs.find((s) => s.ops[0] === "linear")?.count, 4);
});

test("a residual MLP built from helper blocks takes the pipeline; its model_new.py loads as KernelBench loads it", { timeout: 300_000 }, async () => {
  const r = await run("residual_mlp");
  assert.equal(r.route, "pipeline");
  assert.equal(r.pipeline!.subgraphs.length, 1, "a straight line is one region");
  const kb = await kernelBenchLoads(join(models, "residual_mlp.py"), r.modelNew!);
  assert.ok(kb.ok, `KernelBench's loading protocol: ${kb.error}`);
});

test("a model with two outputs takes the direct route", { timeout: 300_000 }, async () => {
  const r = await run("two_outputs");
  assert.equal(r.route, "direct");
  assert.ok(readFileSync(r.modelNew!, "utf8").includes("class ModelNew"));
});
