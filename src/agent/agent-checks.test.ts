import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after } from "node:test";
import { runKernelAgent } from "./agent.js";
import { ScriptedModel, pyReply } from "./testing/scripted-model.js";
import { makeVerdict, scriptedVerifier } from "./testing/scripted-verifier.js";

/** The agent's checks around the rounds: the reference first, what prompts say, the deliverable. */

const dir = mkdtempSync(join(tmpdir(), "tritonize-agent-checks-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const problem = join(dir, "relu.py");
writeFileSync(problem, "import torch\nimport torch.nn as nn\nn = 64\nclass Model(nn.Module):\n    def forward(self, x):\n        return torch.relu(x)\ndef get_inputs():\n    return [torch.randn(n)]\ndef get_init_inputs():\n    return []\n");
const out = join(dir, "runs");

const checked = (extra: Record<string, unknown> = {}) => async () => ({
  ok: true, code: null, message: "ran", device: "cpu", training: true,
  inputs: [{ kind: "tensor", shape: [8], dtype: "float32" }], outputs: [{ kind: "tensor", shape: [8], dtype: "float32" }], ...extra,
});

test("a nondeterministic reference fails at once, before any model round, with the problem's code", async () => {
  const model = new ScriptedModel(() => ({ text: pyReply("class ModelNew: pass") }));
  const verifier = scriptedVerifier(() => ({ verdict: makeVerdict({ ok: true, stage: "passed" }) }));
  const result = await runKernelAgent({
    problem, model, verify: verifier.verify, workers: 2, rounds: 5, out,
    checkProblem: async () => ({ ok: false, code: "nondeterministic_reference", message: "the reference gives different results on the same inputs" }),
  });
  assert.equal(result.status, "failed");
  assert.equal(result.problemCode, "nondeterministic_reference");
  assert.match(result.message, /the problem itself fails \(nondeterministic_reference\).*no model round was run/);
  assert.equal(model.requests.length, 0);
  assert.equal(verifier.calls.length, 0);
});

test("prompts state the comparison rule, the sizes run, the CPU interpreter and training mode", async () => {
  const model = new ScriptedModel(() => ({ text: "no code" }));
  const verifier = scriptedVerifier(() => ({ verdict: makeVerdict({ ok: true, stage: "passed" }) }));
  await runKernelAgent({ problem, model, verify: verifier.verify, workers: 1, rounds: 1, out, sets: { n: "8" }, checkProblem: checked() });
  const [system, user] = model.requests[0]!.request.messages.map((m) => m.content);
  assert.match(system!, /\|out − ref\| ≤ atol \+ rtol·\|ref\|, with atol = rtol = 1e-4 for\s+float32/);
  assert.match(system!, /On the CPU, in Triton's interpreter/);
  assert.match(system!, /The model is in training mode/);
  assert.match(user!, /The harness runs it with n=8 \(overriding the constants above\), on the CPU, in Triton's interpreter, with the model in training mode/);
  assert.match(user!, /Inputs: tensor \[8\] float32\. Output: tensor \[8\] float32\./);
});

test("after a reply with no code the next prompt still carries the last file and its verdict; left-out history is counted", async () => {
  const file = (k: number) => `import torch\nclass ModelNew(torch.nn.Module):\n    def forward(self, x):\n        return x  # v${k}\n`;
  const replies = [pyReply(file(1)), pyReply(file(2)), pyReply(file(3)), pyReply(file(4)), "I will think about it.", pyReply(file(6))];
  const model = new ScriptedModel((_req, call) => ({ text: replies[call]! }));
  const verifier = scriptedVerifier((code) => ({
    verdict: makeVerdict({ ok: false, stage: "correctness", message: `mismatch in ${/# (v\d)/.exec(code)?.[1]}` }),
  }));
  await runKernelAgent({ problem, model, verify: verifier.verify, workers: 1, rounds: 6, out, historySize: 2, checkProblem: checked() });
  const prompts = model.promptsOf(1);
  const sixth = prompts[5]!;
  assert.match(sixth, /## Your last file \(round 4\) and what the harness found\n```python\n[^`]*# v4/);
  assert.match(sixth, /mismatch in v4/);
  assert.match(sixth, /## Your last attempt \(round 5\)[^]*no fenced code block/);
  assert.match(sixth, /earlier attempts \(oldest first; 3 earlier rounds left out\)/);
});

test("a kernel_function is accepted, wrapped into the ModelNew deliverable, and the wrapped file verified", async () => {
  const fn = "import torch\nimport triton\n\ndef kernel_function(x):\n    return torch.empty_like(x)\n";
  const model = new ScriptedModel(() => ({ text: pyReply(fn) }));
  const verifier = scriptedVerifier(() => ({ verdict: makeVerdict({ ok: true, stage: "passed" }) }));
  const result = await runKernelAgent({ problem, model, verify: verifier.verify, workers: 1, rounds: 1, out, checkProblem: checked() });
  assert.equal(result.status, "verified", result.message);
  assert.equal(result.winner!.wrapped, true);
  const kernel = readFileSync(result.winner!.kernelPath, "utf8");
  assert.match(kernel, /^def kernel_function\(x\):/m);
  assert.match(kernel, /class ModelNew\(torch\.nn\.Module\):[^]*return kernel_function\(\*inputs\)/);
  assert.deepEqual(verifier.calls.map((c) => c.candidate.endsWith("kernel.py")), [false, true]);
  assert.equal(result.winner!.kernelVerdictPath, join(result.runDir, "kernel.verdict.json"));
});
