import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { test } from "node:test";
import { pyReply, ScriptedModel } from "../agent/testing/scripted-model.js";
import { captureGraph } from "../author/capture.js";
import { runProblem } from "../author/run-offline.js";
import { resolvePython } from "../harness/python.js";
import { verifyCandidate } from "../harness/verify.js";
import { pipelineDeps } from "./cli-deps.js";
import type { PipelineEvent } from "./events.js";
import { runPipeline, type PipelineDeps, type PipelineOptions } from "./run-pipeline.js";

/**
 * The model-driven fuser and composer through the real harness on CPU, with scripted models: a
 * rewrite that changes the result is rejected by running it, a correct one is adopted and the run
 * verified end to end; a composed module that flattens forward's branch or computes wrongly is
 * re-asked, a correct one accepted with the branch kept as Python. About a minute on two cores.
 */
const models = fileURLToPath(new URL("../../examples/models/", import.meta.url));
const fixtures = fileURLToPath(new URL("./fixtures/", import.meta.url));
const out = mkdtempSync(join(tmpdir(), "tritonize-model-stages-e2e-"));

function deps(extra: Partial<PipelineDeps>): PipelineDeps {
  const base = pipelineDeps({
    config: null,
    direct: (r) => runProblem(r, { capture: captureGraph, verify: verifyCandidate, modelAuthor: null, providerConfigured: false }),
    outDir: join(out, "runs"),
  });
  return { ...base, routeCache: null, ...extra };
}

function options(problem: string, extra: Partial<PipelineOptions> = {}): PipelineOptions {
  return { problem: join(models, problem), device: "cpu", trials: 1, outDir: join(out, "runs"), jobs: 2, route: "pipeline", noFallback: true, ...extra };
}

function events(runDir: string, stage: string): PipelineEvent[] {
  return readFileSync(join(runDir, "events.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as PipelineEvent).filter((e) => e.stage === stage);
}

/** ModelNew.forward's compound statements as Python reads them: `If self._tz_c3(gate)`, `With`, `For`. */
async function forwardStructure(file: string): Promise<string[]> {
  const script = [
    "import ast, sys",
    "tree = ast.parse(open(sys.argv[1]).read())",
    "cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == 'ModelNew')",
    "fwd = next(n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == 'forward')",
    "for n in ast.walk(fwd):",
    "    if isinstance(n, (ast.If, ast.While)): print(type(n).__name__, ast.unparse(n.test))",
    "    elif isinstance(n, (ast.For, ast.With, ast.Try)): print(type(n).__name__)",
  ].join("\n");
  const { stdout } = await promisify(execFile)(await resolvePython(), ["-c", script, file]);
  return stdout.trim().split("\n");
}

const manifest = JSON.stringify({
  regions: [
    { method: "_tz_r1", kind: "block", lines: [15, 15] },
    { method: "_tz_r2", kind: "block", lines: [18, 18] },
    { method: "_tz_c3", kind: "cond", lines: [19, 19] },
    { method: "_tz_r4", kind: "block", lines: [20, 20] },
    { method: "_tz_r5", kind: "block", lines: [22, 22] },
    { method: "_tz_r6", kind: "return", lines: [23, 23] },
  ],
  kept: ["with torch.no_grad() at line 16", "if gate at line 19"],
});

test("a with block: the model's rewrite that drops a bias is rejected by running it, the correct one is adopted and verified end to end", { timeout: 300_000 }, async () => {
  const fused = readFileSync(join(fixtures, "no_grad_gate.fused.py"), "utf8");
  const noBias = fused.replace("        h = self.fc(x)\n", "        h = torch.matmul(x, self.fc.weight.t())\n");
  const replies = [noBias, fused].map((code) => `\`\`\`json\n${manifest}\n\`\`\`\n${pyReply(code)}`);
  const fuser = new ScriptedModel((_r, call) => ({ text: replies[call] }));
  const all = deps({ fuser });
  const r = await runPipeline(options("no_grad_gate.py"), all);
  assert.ok(r.ok, `${r.status}: ${r.message}`);
  const fuse = events(r.runDir, "fuse");
  assert.equal(fuse[1]!.data.construct, "with");
  assert.equal(fuse[1]!.data.line, 16);
  const failed = fuse.filter((e) => e.kind === "failed" && e.data.attempt === 1);
  assert.match(String(failed[0]?.data.reason), /^fused\.py changes the result: its outputs differ from the problem's by up to \d/);
  assert.ok(fuse.some((e) => e.kind === "completed" && e.data.attempt === 2));
  assert.match(fuser.requests[1]!.request.messages.at(-1)!.content, /changes the result/);
  assert.equal(JSON.parse(readFileSync(join(r.runDir, "regions.json"), "utf8")).fusedBy, "model");
  // the with block and the tensor branch are Python in the deliverable, the branch's sides both verified
  assert.deepEqual(await forwardStructure(r.modelNew!), ["With", "If self._tz_c3(gate)"]);
  assert.deepEqual(r.pipeline!.branches.map((b) => `${b.side}:${b.status}`), ["true:verified", "false:verified"]);
  assert.equal(r.pipeline!.subgraphs.length, 5);

  const again = await runPipeline({ ...options("no_grad_gate.py"), resume: r.runDir }, all);
  assert.ok(again.ok, again.message);
  assert.equal(fuser.requests.length, 2, "--resume reuses the adopted fused.py without asking again");
  assert.equal(events(r.runDir, "fuse").at(-1)!.data.by, "model");
  assert.equal(events(r.runDir, "fuse").at(-1)!.kind, "reused");
});

test("blocks no shape tells apart: the model composer is re-asked after a flattened branch and a wrong kernel, and its accepted composed.py keeps the if", { timeout: 300_000 }, async () => {
  const right = readFileSync(join(fixtures, "mixed_blocks.composed.py"), "utf8");
  const flattened = right.replace("        if self._tz_c2(x):\n            return x\n        return self._tz_r3(x)\n", "        return x if self._tz_c2(x) else self._tz_r3(x)\n");
  const allRelu = right.replace("TANH=isinstance(act, nn.Tanh)", "TANH=False");
  assert.ok(flattened !== right && allRelu !== right);
  const replies = [flattened, allRelu, right].map((code) => pyReply(code));
  const composer = new ScriptedModel((_r, call) => ({ text: replies[call] }));
  const r = await runPipeline(options("mixed_blocks.py"), deps({ composer }));
  assert.ok(r.ok, `${r.status}: ${r.message}`);
  const compose = events(r.runDir, "compose");
  assert.match(String(compose[1]!.data.message), /cannot be told apart/);
  const reasons = compose.filter((e) => e.kind === "failed" && e.data.attempt).map((e) => String(e.data.reason));
  assert.equal(reasons.length, 2);
  assert.match(reasons[0]!, /^ModelNew\.forward is not fused\.py's forward/);
  assert.match(reasons[1]!, /^composed\.py was rejected at correctness: /);
  assert.ok(composer.requests[2]!.request.messages.at(-1)!.content.includes(reasons[1]!), "the re-ask carries the verdict");
  assert.ok(compose.some((e) => e.kind === "completed" && e.data.attempt === 3));
  assert.deepEqual(await forwardStructure(join(r.runDir, "composed.py")), ["For", "If self._tz_c2(x)"]);
  assert.deepEqual(r.pipeline!.branches.map((b) => `${b.side}:${b.status}`), ["true:verified", "false:verified"]);
});
