import { strict as assert } from "node:assert";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { ScriptedModel } from "../agent/testing/scripted-model.js";
import { runPipeline } from "./run-pipeline.js";
import { scriptedDeps } from "./testing/scripted-deps.js";

/**
 * The pipeline route's format stage when the composed module's __init__ is not Model's (as a
 * model-written composer may leave it): with a mapper model the mapping is written by it and
 * verified; without one the run fails at format and says what is missing. Scripted harness.
 */
function setup(mapper: ScriptedModel | null) {
  const dir = mkdtempSync(join(tmpdir(), "tritonize-pipeline-mapping-"));
  const problem = join(dir, "problem.py");
  writeFileSync(problem, "import torch\nclass Model(torch.nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.w = torch.nn.Parameter(torch.ones(2))\n\n    def forward(self, x):\n        if x.sum() > 0:\n            return x.relu() * self.w\n        return x\n");
  const deps = scriptedDeps({ subgraphs: 1 });
  deps.compose = async (c) => {
    writeFileSync(c.out, "def _sg1_run(x0):\n    return (x0,)\n\n\nclass ModelNew:\n    def __init__(self):\n        self.weights = None\n");
    return { schema: "tritonize.composed/1", ok: true, message: "composed", path: c.out };
  };
  deps.mapper = mapper;
  return { problem, deps, runs: join(dir, "runs") };
}

const reply = "```json\n" + JSON.stringify({ launches: [{ subgraph: "sg1", kernel: "_sg1_run", arguments: [{ argument: "x0", source: "input", expr: "x" }], outputs: ["y"], result: "sequence" }], returns: "y" }) + "\n```";

test("a composed __init__ that is not Model's: the mapper model writes the mapping and model_new.py is verified", async () => {
  const model = new ScriptedModel(() => ({ text: reply }));
  const { problem, deps, runs } = setup(model);
  const r = await runPipeline({ problem, outDir: runs, route: "pipeline", noFallback: true }, deps);
  assert.equal(r.ok, true, r.message);
  assert.equal(model.requests.length, 1);
  const mapping = JSON.parse(readFileSync(join(r.runDir, "mapping.json"), "utf8"));
  assert.equal(mapping.derived, "model");
  assert.match(readFileSync(r.modelNew!, "utf8"), /y, = _sg1_run\(x\)/);
  const events = readFileSync(join(r.runDir, "events.jsonl"), "utf8");
  assert.match(events, /"stage":"format","subgraph":null,"kind":"completed","data":\{"by":"model","attempt":1/);
  // resumed, the verified model-written model_new.py is reused, not asked for again
  const again = await runPipeline({ problem, outDir: runs, resume: r.runDir, route: "pipeline", noFallback: true }, deps);
  assert.equal(again.ok, true, again.message);
  assert.equal(model.requests.length, 1);
  assert.match(readFileSync(join(r.runDir, "events.jsonl"), "utf8"), /"stage":"format","subgraph":null,"kind":"reused","data":\{"by":"model"/);
});

test("the same without a mapper model: the run fails at format and names what to configure", async () => {
  const { problem, deps, runs } = setup(null);
  const r = await runPipeline({ problem, outDir: runs, route: "pipeline", noFallback: true }, deps);
  assert.equal(r.ok, false);
  assert.equal(r.status, "format_failed");
  assert.match(r.message, /not Model.__init__.*needs a configured provider \(the mapper stage\)/);
});
