import { strict as assert } from "node:assert";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { ScriptedModel } from "../agent/testing/scripted-model.js";
import { makeVerdict } from "../agent/testing/scripted-verifier.js";
import { verifyCandidate } from "../harness/verify.js";
import { formatKernelBench } from "./format.js";
import { MappingSchema } from "./mapping.js";
import { modelMapping, type ModelMappingDeps } from "./model-mapping.js";
import { SubgraphsFileSchema } from "./plan.js";
import { kernelBenchLoads } from "./testing/kernelbench-loads.js";

/**
 * The model-written mapping with a scripted model: examples/mapping/buffers.py and a composed
 * program whose own __init__ is not Model's (examples/mapping/composed/), so the capture's identity
 * mapping does not hold. Replies are JSON the way a model would write them; one test runs the real
 * harness (two verifications on CPU).
 */
const root = fileURLToPath(new URL("../../", import.meta.url));
const problem = join(root, "examples/mapping/buffers.py");
const composedPath = join(root, "examples/mapping/composed/buffers_composed.py");
const subgraphs = SubgraphsFileSchema.parse(JSON.parse(readFileSync(join(root, "examples/mapping/composed/buffers_subgraphs.json"), "utf8")));

const mapping = (w0: string, w1: string, extra: Record<string, unknown> = {}) =>
  "```json\n" +
  JSON.stringify({
    launches: [{
      subgraph: "sg1", kernel: "_sg1_run", outputs: ["y"], result: "sequence",
      arguments: [{ argument: "x0", source: "input", expr: "x" }, { argument: "w0", source: "buffer", expr: w0 }, { argument: "w1", source: "buffer", expr: w1 }],
    }],
    returns: "y",
    ...extra,
  }, null, 2) +
  "\n```\n";

function run(replies: string[], verify: ModelMappingDeps["verify"] = async () => makeVerdict({ ok: true, stage: "correctness", message: "ACCEPTED: scripted" }), attempts = 3) {
  const model = new ScriptedModel((_req, call) => ({ text: replies[call] ?? "" }));
  const dir = mkdtempSync(join(tmpdir(), "tritonize-model-mapping-"));
  const result = modelMapping(
    { problem, problemSource: readFileSync(problem, "utf8"), composedSource: readFileSync(composedPath, "utf8"), subgraphs, reason: "ModelNew.__init__ is not Model.__init__", dir: join(dir, "mapping"), outDir: dir, attempts, device: "cpu", trials: 1 },
    { model, verify },
  );
  return { model, dir, result };
}
const userPrompts = (m: ScriptedModel) => m.requests.map((r) => r.request.messages.at(-1)!.content);

test("the capture's identity mapping does not hold for a composed module with its own __init__", () => {
  const f = formatKernelBench({ problem, composed: composedPath, subgraphs, outDir: mkdtempSync(join(tmpdir(), "tritonize-format-")) });
  assert.equal(f.ok, false);
  assert.match(f.message, /not Model.__init__/);
});

test("invalid JSON, then a schema-invalid mapping, then one that breaks the subgraph's argument order: the budget is spent and every attempt named", async () => {
  const { model, result } = run([
    "Here is the mapping: {launches: [",
    "```json\n{\"launches\": [], \"returns\": \"y\"}\n```",
    mapping("self.shift", "self.scale").replace('"argument": "w0"', '"argument": "w9"'),
  ]);
  const r = await result;
  assert.equal(r.ok, false);
  assert.deepEqual(r.attempts.map((a) => a.failedAt), ["json", "schema", "check"]);
  assert.match(r.message, /^mapping: no model-written mapping verified in 3 of 3 attempts/);
  assert.match(r.message, /attempt 1: json: .*attempt 2: schema: .*launches.*attempt 3: check: .*x0, w0, w1/);
  const prompts = userPrompts(model);
  assert.equal(prompts.length, 3);
  assert.match(prompts[1]!, /not accepted \(json\): the reply holds no valid JSON/);
  assert.match(prompts[2]!, /not accepted \(schema\)/);
  assert.match(prompts[0]!, /ModelNew.__init__ is not Model.__init__/, "the first prompt says why a mapping is needed");
  assert.match(prompts[0]!, /w0: buffer \[8\] float32, captured as self\.shift/, "and gives the subgraphs' fusion information");
});

test("a mapping whose model_new.py the harness rejects is re-asked with the verdict; the right one is accepted (real harness)", { timeout: 180_000 }, async () => {
  const { model, dir, result } = run([mapping("self.scale", "self.shift"), mapping("self.shift", "self.scale", { notes: ["buffers by name"] })], verifyCandidate);
  const r = await result;
  assert.equal(r.ok, true, r.message);
  assert.deepEqual(r.attempts.map((a) => a.failedAt), ["verify", null]);
  assert.match(r.attempts[0]!.message, /rejected at correctness/);
  assert.match(userPrompts(model)[1]!, /rejected by the harness:[\s\S]*Failed at stage: correctness/);
  const m = MappingSchema.parse(JSON.parse(readFileSync(join(dir, "mapping.json"), "utf8")));
  assert.equal(m.derived, "model");
  assert.deepEqual(m.kernels[0]!.arguments.map((a) => `${a.argument}=${a.source}:${a.expr}`), ["x0=input:x", "w0=buffer:self.shift", "w1=buffer:self.scale"]);
  const source = readFileSync(r.modelNew!, "utf8");
  assert.match(source, /class ModelNew\(nn\.Module\):[\s\S]*self\.register_buffer\("shift", torch\.randn\(features\)\)/, "ModelNew keeps Model's __init__");
  assert.match(source, /y, = _sg1_run\(x, self\.shift, self\.scale\)\n\s+return y/);
  const kb = await kernelBenchLoads(problem, r.modelNew!);
  assert.ok(kb.ok, `KernelBench's loading protocol: ${kb.error}`);
});

test("every reply rejected by verification: the stage fails with each verdict", async () => {
  const reject = async () => makeVerdict({ ok: false, stage: "correctness", code: "mismatch", message: "REJECTED: output mismatch" });
  const { model, result } = run([mapping("self.scale", "self.shift"), mapping("self.scale", "self.shift")], reject, 2);
  const r = await result;
  assert.equal(r.ok, false);
  assert.equal(model.requests.length, 2);
  assert.deepEqual(r.attempts.map((a) => a.failedAt), ["verify", "verify"]);
  assert.match(r.message, /in 2 of 2 attempts \(attempt 1: verify: rejected at correctness.*; attempt 2: verify: rejected at correctness/);
  assert.equal(r.modelNew, null);
});

test("a provider failure ends the stage at once, named", async () => {
  const model = new ScriptedModel(() => ({ error: new Error("HTTP 503 after 3 retries") }));
  const dir = mkdtempSync(join(tmpdir(), "tritonize-model-mapping-"));
  const r = await modelMapping(
    { problem, problemSource: readFileSync(problem, "utf8"), composedSource: readFileSync(composedPath, "utf8"), subgraphs, reason: "r", dir, outDir: dir },
    { model, verify: async () => assert.fail("nothing to verify") },
  );
  assert.equal(r.ok, false);
  assert.equal(model.requests.length, 1);
  assert.match(r.message, /in 1 of 3 attempts \(attempt 1: provider: scripted:scripted-model: HTTP 503/);
});
