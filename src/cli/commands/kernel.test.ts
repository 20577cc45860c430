import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { kernelCommand, type KernelCommandDeps } from "./kernel.js";
import { KernelResultSchema } from "../../agent/result.js";
import { ScriptedModel, pyReply, type Script } from "../../agent/testing/scripted-model.js";
import { makeVerdict, scriptedVerifier } from "../../agent/testing/scripted-verifier.js";

const PROBLEM = "import torch\nimport torch.nn as nn\nclass Model(nn.Module):\n    def forward(self, x):\n        return x * 2\ndef get_inputs():\n    return [torch.randn(8)]\ndef get_init_inputs():\n    return []\n";
const GOOD = "import torch.nn as nn\nclass ModelNew(nn.Module):\n    pass\n";

async function cli(args: string[], script: Script, opts: { isTTY?: boolean; createModelError?: string } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "tritonize-cli-"));
  const problem = join(dir, "double.py");
  writeFileSync(problem, PROBLEM);
  let stdout = "";
  let stderr = "";
  const model = new ScriptedModel(script);
  const deps: KernelCommandDeps = {
    createModel: (name) => {
      if (opts.createModelError) throw new Error(opts.createModelError);
      assert.equal(name, args.includes("--model") ? args[args.indexOf("--model") + 1] : undefined);
      return model;
    },
    verify: scriptedVerifier(() => ({ verdict: makeVerdict({ ok: true, stage: "passed" }) })).verify,
    checkProblem: async () => ({ ok: true, message: "ran" }),
    stdout: { write: (t: string) => (stdout += t), isTTY: opts.isTTY },
    stderr: { write: (t: string) => (stderr += t) },
  };
  const program = new Command().exitOverride();
  let code = -1;
  kernelCommand(deps)(program, (c) => (code = c));
  await program.parseAsync(["node", "tritonize", "kernel", "--problem", problem, "--out", join(dir, "runs"), ...args]);
  return { code, stdout, stderr, model };
}

test("--json prints the result document and exits 0 when a kernel is verified", async () => {
  const r = await cli(["--workers", "2", "--rounds", "3", "--device", "cpu", "--json", "--model", "m1"], () => ({ text: pyReply(GOOD) }));
  assert.equal(r.code, 0);
  const doc = KernelResultSchema.parse(JSON.parse(r.stdout));
  assert.equal(doc.status, "verified");
  assert.equal(doc.device, "cpu");
  assert.equal(doc.workers.length, 2);
  assert.match(r.stderr, /VERIFIED/);
});

test("plain log lines when stdout is not a terminal; exit 1 and a message when nothing is verified", async () => {
  const r = await cli(["--workers", "1", "--rounds", "1"], () => ({ text: "no code here" }));
  assert.equal(r.code, 1);
  assert.match(r.stdout, /w1 r1 not verified \(no-code\): Your reply had no fenced code block/);
  assert.doesNotMatch(r.stdout, /\x1b\[/);
  assert.match(r.stderr, /No kernel verified: every worker used its 1 rounds/);
});

test("a provider failure reaches the user on stderr", async () => {
  const r = await cli(["--workers", "1"], () => ({ error: new Error("429 rate limited after 3 retries") }));
  assert.equal(r.code, 1);
  assert.match(r.stderr, /the model provider failed.*429 rate limited after 3 retries/);
  assert.match(r.stdout, /MODEL ERROR: scripted \(scripted-model\) failed: 429 rate limited/);
});

test("a model that cannot be built is reported, and no run starts", async () => {
  const r = await cli([], () => ({ text: "" }), { createModelError: "no model is configured for the kernel stage; set TRITONIZE_MODEL" });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /no model is configured/);
  assert.equal(r.model.requests.length, 0);
});

test("a terminal gets the live table", async () => {
  const r = await cli(["--workers", "2", "--rounds", "1"], () => ({ text: pyReply(GOOD) }), { isTTY: true });
  assert.equal(r.code, 0);
  assert.match(r.stdout, /\x1b\[\d+F\x1b\[J/);
  assert.match(r.stdout, /w1 {2}round 1\/1 {2}verified/);
  assert.match(r.stdout, /kernel: .*kernel\.py/);
});
