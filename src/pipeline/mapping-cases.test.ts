import { strict as assert } from "node:assert";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { captureGraph } from "../author/capture.js";
import { runProblem } from "../author/run-offline.js";
import { verifyCandidate } from "../harness/verify.js";
import { pipelineDeps } from "./cli-deps.js";
import { MappingSchema, type Mapping } from "./mapping.js";
import { runPipeline } from "./run-pipeline.js";
import { ScriptedModel } from "../agent/testing/scripted-model.js";
import { kernelBenchLoads } from "./testing/kernelbench-loads.js";

/**
 * The mapping cases of examples/mapping through the pipeline route with no provider: each
 * model_new.py verified by the harness on CPU (one trial) and its mapping.json derived from the
 * capture; the folded and buffer cases also loaded as KernelBench's evaluation loads a Triton
 * submission. The last case (a lifted tensor constant) has a scripted mapper model. About ten
 * seconds a case on two cores.
 */
const cases = fileURLToPath(new URL("../../examples/mapping/", import.meta.url));
const out = mkdtempSync(join(tmpdir(), "tritonize-mapping-cases-"));
async function mapped(name: string, mapper: ScriptedModel | null = null): Promise<{ mapping: Mapping; args: string[]; modelNew: string; problem: string }> {
  const problem = join(cases, `${name}.py`);
  const deps = pipelineDeps({
    config: null,
    direct: (r) => runProblem(r, { capture: captureGraph, verify: verifyCandidate, modelAuthor: null, providerConfigured: false }),
    outDir: join(out, "runs"),
  });
  deps.mapper = mapper;
  const r = await runPipeline({ problem, device: "cpu", trials: 1, outDir: join(out, "runs"), route: "pipeline", noFallback: true }, deps);
  assert.ok(r.ok, `${name}: ${r.status}: ${r.message}`);
  assert.equal(r.route, "pipeline");
  const mapping = MappingSchema.parse(JSON.parse(readFileSync(join(r.runDir, "mapping.json"), "utf8")));
  assert.equal(mapping.derived, mapper ? "model" : "capture");
  assert.equal(mapping.certain, true, mapping.notes.join("; "));
  const args = mapping.kernels.flatMap((k) => k.arguments.map((a) => `${k.subgraph}.${a.argument}=${a.source}:${a.expr}`));
  return { mapping, args, modelNew: r.modelNew!, problem };
}

const opts = { timeout: 120_000 };

test("direct parameters: each weight is the registered attribute", opts, async () => {
  const { args } = await mapped("direct_params");
  assert.deepEqual(args, ["sg1.x0=input:x", "sg1.w0=parameter:self.gain", "sg1.w1=parameter:self.fc.weight", "sg1.w2=parameter:self.fc.bias"]);
});

test("Linear + BatchNorm in training mode: batch statistics, not folded, no running statistics passed", opts, async () => {
  const { args, mapping, modelNew } = await mapped("linear_bn_train");
  assert.deepEqual(args, ["sg1.x0=input:x", "sg1.w0=parameter:self.fc.weight", "sg1.w1=parameter:self.fc.bias", "sg1.w2=parameter:self.bn.weight", "sg1.w3=parameter:self.bn.bias"]);
  assert.deepEqual(mapping.helpers, []);
  assert.doesNotMatch(readFileSync(modelNew, "utf8"), /_tz_fold_bn/);
});

for (const [name, eps] of [["conv_bn_eval", "1e-05"], ["linear_bn_stats", "0.001"]] as const) {
  test(`${name} (sets its own mode${name === "linear_bn_stats" ? " and buffers" : ""} in __init__): BatchNorm in eval mode folded, the folded weight and bias computed from parameters and buffers each call`, opts, async () => {
    const { args, mapping, modelNew, problem } = await mapped(name);
    const layer = name === "conv_bn_eval" ? "self.conv" : "self.fc";
    assert.deepEqual(args, [
      "sg1.x0=input:x",
      `sg1.w0=computed:_tz_fold_bn_weight(${layer}.weight, self.bn.weight, self.bn.running_var, ${eps})`,
      `sg1.w1=computed:_tz_fold_bn_bias(${layer}.bias, self.bn.weight, self.bn.bias, self.bn.running_mean, self.bn.running_var, ${eps})`,
    ]);
    assert.equal(mapping.helpers.length, 2);
    const source = readFileSync(modelNew, "utf8");
    assert.match(source, /def _tz_fold_bn_weight\(/);
    assert.doesNotMatch(readFileSync(join(modelNew, "..", "subgraphs", "sg1.py"), "utf8"), /batch_norm/, "the subgraph's kernel takes the folded values");
    const kb = await kernelBenchLoads(problem, modelNew);
    assert.ok(kb.ok, `KernelBench's loading protocol: ${kb.error}`);
  });
}

test("reordered arguments: forward's inputs and the parameters are named whatever order they come in", opts, async () => {
  const { args } = await mapped("reordered_args");
  assert.deepEqual(args, ["sg1.x0=input:a", "sg1.x1=input:b", "sg1.w0=parameter:self.bias", "sg1.w1=parameter:self.weight"]);
});

test("one parameter used by two kernels: both read the same attribute", opts, async () => {
  const { args } = await mapped("shared_param");
  assert.deepEqual(args, ["sg1.x0=input:x", "sg1.w0=parameter:self.proj", "sg2.x0=computed:h", "sg2.w0=parameter:self.proj"]);
});

test("registered buffers read by the kernel; KernelBench's loading builds them under the same seed", opts, async () => {
  const { args, modelNew, problem } = await mapped("buffers");
  assert.deepEqual(args, ["sg1.x0=input:x", "sg1.w0=buffer:self.shift", "sg1.w1=buffer:self.scale"]);
  const kb = await kernelBenchLoads(problem, modelNew);
  assert.ok(kb.ok, `KernelBench's loading protocol: ${kb.error}`);
});

test("a model with no parameters maps forward's inputs only", opts, async () => {
  const { args } = await mapped("no_params");
  assert.deepEqual(args, ["sg1.x0=input:x", "sg1.x1=input:y"]);
});

test("a tensor attribute lifted as a constant: not certain from the capture, so the mapper model writes the mapping (scripted)", opts, async () => {
  const reply = JSON.stringify({
    launches: [{ subgraph: "sg1", kernel: "_sg1_run", result: "sequence", outputs: ["y"], arguments: [
      { argument: "x0", source: "input", expr: "x" }, { argument: "w0", source: "computed", expr: "self.scale" }] }],
    returns: "y",
    notes: ["self.scale is a plain tensor attribute made in __init__: the same under KernelBench's seed"],
  });
  const model = new ScriptedModel(() => ({ text: "```json\n" + reply + "\n```" }));
  const { args, mapping } = await mapped("composed/tensor_attribute", model);
  assert.equal(model.requests.length, 1);
  assert.match(model.requests[0]!.request.messages[1]!.content, /w0 is a tensor constant \(self\.scale\)/, "the model is told why");
  assert.deepEqual(args, ["sg1.x0=input:x", "sg1.w0=computed:self.scale"]);
  assert.deepEqual(mapping.notes, ["self.scale is a plain tensor attribute made in __init__: the same under KernelBench's seed"]);
});
