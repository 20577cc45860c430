import { strict as assert } from "node:assert";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { formatKernelBench, initOf } from "./format.js";
import { captureMapping } from "./mapping.js";
import type { Subgraph } from "./plan.js";

const sg = (weights: Subgraph["weights"], args: string[]): Subgraph => ({
  id: "sg1", signature: "s", problem: "sg1.py", ops: ["linear"],
  inputs: args.map((_, i) => ({ input: `x${i}`, shape: [2, 3], dtype: "float32" })),
  outputs: [{ shape: [2, 3], dtype: "float32" }], weights, count: 1,
  where: [{ region: "r1", line: 5, branch: "", modules: {}, args, inputs: args.slice(0, 1) }],
});
const w = (input: string, expr: string, kind: Subgraph["weights"][number]["kind"]): Subgraph["weights"][number] => ({ input, expr, name: expr.replace(/^self\./, ""), kind, shape: [3], dtype: "float32" });

test("the capture's mapping: forward's inputs, computed values, parameters and buffers by attribute path", () => {
  const m = captureMapping([sg([w("w0", "self.bn.weight", "parameter"), w("w1", "self.bn.running_var", "buffer")], ["x", "h"])]);
  assert.equal(m.certain, true);
  assert.equal(m.derived, "capture");
  assert.deepEqual(m.kernels[0]!.arguments.map((a) => `${a.argument}=${a.source}:${a.expr}`), [
    "x0=input:x", "x1=computed:h", "w0=parameter:self.bn.weight", "w1=buffer:self.bn.running_var",
  ]);
});

test("a lifted tensor constant makes the mapping uncertain, and the notes say which", () => {
  const m = captureMapping([sg([w("w0", "self.mask", "constant")], ["x"])]);
  assert.equal(m.certain, false);
  assert.match(m.notes[0]!, /w0 is a tensor constant \(self\.mask\)/);
});

test("the formatter refuses a composed module whose __init__ is not Model's", () => {
  const dir = mkdtempSync(join(tmpdir(), "tritonize-format-"));
  const problem = join(dir, "p.py");
  writeFileSync(problem, "class Model(nn.Module):\n    def __init__(self, n):\n        super(Model, self).__init__()\n        self.fc = nn.Linear(n, n)\n\n    def forward(self, x):\n        return self.fc(x)\n");
  const good = join(dir, "good.py");
  writeFileSync(good, readFileSync(problem, "utf8").replace(/\bModel\b/g, "ModelNew"));
  const bad = join(dir, "bad.py");
  writeFileSync(bad, "class ModelNew(nn.Module):\n    def __init__(self, n):\n        super().__init__()\n        self.w = nn.Parameter(torch.randn(n, n))\n");
  const file = { schema: "tritonize.subgraphs/1" as const, problem, subgraphs: [sg([w("w0", "self.fc.weight", "parameter")], ["x"])], conditionReads: 0 };
  assert.equal(formatKernelBench({ problem, composed: good, subgraphs: file, outDir: join(dir, "a") }).ok, true);
  const r = formatKernelBench({ problem, composed: bad, subgraphs: file, outDir: join(dir, "b") });
  assert.equal(r.ok, false);
  assert.match(r.message, /not Model.__init__/);
  assert.match(initOf(readFileSync(problem, "utf8"), "Model")!, /self\.fc = nn\.Linear/);
});

test("a folded BatchNorm: computed arguments with their expressions, and the folding helpers named", () => {
  const m = captureMapping([sg([w("w0", "_tz_fold_bn_weight(self.fc.weight, self.bn.weight, self.bn.running_var, 1e-05)", "computed"), w("w1", "_tz_fold_bn_bias(self.fc.bias, self.bn.weight, self.bn.bias, self.bn.running_mean, self.bn.running_var, 1e-05)", "computed")], ["x"])]);
  assert.equal(m.certain, true);
  assert.deepEqual(m.kernels[0]!.arguments.map((a) => a.source), ["input", "computed", "computed"]);
  assert.deepEqual(m.helpers.map((h) => h.split("(")[0]), ["_tz_fold_bn_weight", "_tz_fold_bn_bias"]);
  assert.deepEqual(captureMapping([sg([w("w0", "self.fc.weight", "parameter")], ["x"])]).helpers, []);
});
