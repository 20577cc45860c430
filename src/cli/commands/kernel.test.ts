import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { kernelCommand, type KernelCommandDeps } from "./kernel.js";
import { KernelResultSchema } from "../../agent/result.js";
import { pyReply } from "../../agent/testing/scripted-model.js";
import { makeVerdict, scriptedVerifier } from "../../agent/testing/scripted-verifier.js";
import { startOpenAIServer } from "../../llm/testing/openai-server.js";
import type { ScriptInput } from "../../llm/testing/script.js";

/**
 * The command end to end through the real OpenAI-compatible provider, talking to a scripted wire
 * server; only the verifier is scripted here (the real one is exercised in agent.e2e.test.ts).
 */

const PROBLEM = "import torch\nimport torch.nn as nn\nclass Model(nn.Module):\n    def forward(self, x):\n        return x * 2\ndef get_inputs():\n    return [torch.randn(8)]\ndef get_init_inputs():\n    return []\n";
const GOOD = "import torch.nn as nn\nclass ModelNew(nn.Module):\n    pass\n";

async function cli(args: string[], script: ScriptInput | null, opts: { isTTY?: boolean } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "tritonize-cli-"));
  const problem = join(dir, "double.py");
  writeFileSync(problem, PROBLEM);
  const server = script ? await startOpenAIServer(script) : null;
  let stdout = "";
  let stderr = "";
  const env: Record<string, string> = { TRITONIZE_MAX_RETRIES: "0" };
  if (server) Object.assign(env, { OPENAI_BASE_URL: server.url, TRITONIZE_MODEL: "test-model" });
  const deps: KernelCommandDeps = {
    verify: scriptedVerifier(() => ({ verdict: makeVerdict({ ok: true, stage: "passed" }) })).verify,
    checkProblem: async () => ({ ok: true, message: "ran" }),
    env,
    cwd: dir,
    stdout: { write: (t: string) => (stdout += t), isTTY: opts.isTTY },
    stderr: { write: (t: string) => (stderr += t) },
  };
  const program = new Command().exitOverride();
  let code = -1;
  kernelCommand(deps)(program, (c) => (code = c));
  try {
    await program.parseAsync(["node", "tritonize", "kernel", "--problem", problem, "--out", join(dir, "runs"), ...args]);
  } finally {
    await server?.close();
  }
  return { code, stdout, stderr, requests: server?.requests ?? [], out: join(dir, "runs") };
}

test("--json prints the result document and exits 0 when a kernel is verified", async () => {
  const r = await cli(["--workers", "2", "--rounds", "3", "--device", "cpu", "--json"], { steps: [{ reply: { text: pyReply(GOOD) } }], repeatLast: true });
  assert.equal(r.code, 0, r.stderr);
  const doc = KernelResultSchema.parse(JSON.parse(r.stdout));
  assert.equal(doc.status, "verified");
  assert.equal(doc.device, "cpu");
  assert.equal(doc.model, "test-model");
  assert.equal(doc.workers.length, 2);
  assert.match(r.stderr, /VERIFIED/);
  // Both workers asked, with different temperatures; their requests are recorded in the run.
  // (The second worker's identical reply is a duplicate, so it may ask once more before the win.)
  assert.ok(r.requests.length >= 2);
  assert.deepEqual(r.requests.slice(0, 2).map((q) => q.body.temperature).sort(), [0.3, 1]);
  assert.ok(readdirSync(join(doc.runDir, "requests")).some((f) => f.startsWith("request-")));
});

test("plain log lines when stdout is not a terminal; exit 1 and a message when nothing is verified", async () => {
  const r = await cli(["--workers", "1", "--rounds", "1"], { steps: [{ reply: { text: "no code here" } }] });
  assert.equal(r.code, 1);
  assert.match(r.stdout, /w1 r1 not verified \(no-code\): Your reply had no fenced code block/);
  assert.doesNotMatch(r.stdout, /\x1b\[/);
  assert.match(r.stderr, /No kernel verified: every worker used its 1 rounds/);
});

test("a provider failure reaches the user on stderr and in the log", async () => {
  const r = await cli(["--workers", "1"], { steps: [{ status: 401, error: "invalid api key" }] });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /No kernel verified: the model provider failed/);
  assert.match(r.stderr, /invalid api key/);
  assert.match(r.stdout, /MODEL ERROR: .*invalid api key/);
  assert.equal(r.requests.length, 1);
});

test("without a configured model the command says what to set, and no run starts", async () => {
  const r = await cli([], null);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /OPENAI_API_KEY/);
  assert.ok(!existsSync(r.out));
});

test("a terminal gets the live table", async () => {
  const r = await cli(["--workers", "2", "--rounds", "1"], { steps: [{ reply: { text: pyReply(GOOD) } }], repeatLast: true }, { isTTY: true });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /\x1b\[\d+F\x1b\[J/);
  assert.match(r.stdout, /w1 {2}round 1\/1 {2}verified/);
  assert.match(r.stdout, /kernel: .*kernel\.py/);
});

test("a missing problem file exits 3 before any model is asked", async () => {
  const program = new Command().exitOverride();
  let code = -1;
  let stderr = "";
  const deps: KernelCommandDeps = {
    verify: scriptedVerifier(() => ({ verdict: makeVerdict({ ok: true, stage: "passed" }) })).verify,
    checkProblem: async () => ({ ok: true, message: "ran" }),
    env: {},
    stdout: { write: () => true },
    stderr: { write: (t: string) => (stderr += t) },
  };
  kernelCommand(deps)(
    program,
    (c) => (code = c),
  );
  await program.parseAsync(["node", "tritonize", "kernel", "--problem", join(tmpdir(), "no-such-problem.py")]);
  assert.equal(code, 3);
  assert.match(stderr, /problem not found: .*no-such-problem\.py/);
});

test("a problem that fails its check exits with the problem's status; --timeout bounds each verification", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tritonize-cli-"));
  const problem = join(dir, "double.py");
  writeFileSync(problem, PROBLEM);
  const server = await startOpenAIServer({ steps: [{ reply: { text: pyReply(GOOD) } }], repeatLast: true });
  const run = async (check: KernelCommandDeps["checkProblem"]) => {
    const timeouts: (number | undefined)[] = [];
    let code = -1;
    let stderr = "";
    const deps: KernelCommandDeps = {
      verify: async (req) => (timeouts.push(req.timeoutMs), makeVerdict({ ok: true, stage: "passed" })),
      checkProblem: check,
      env: { OPENAI_BASE_URL: server.url, TRITONIZE_MODEL: "test-model", TRITONIZE_MAX_RETRIES: "0" },
      cwd: dir,
      stdout: { write: () => true },
      stderr: { write: (t: string) => (stderr += t) },
    };
    const program = new Command().exitOverride();
    kernelCommand(deps)(program, (c) => (code = c));
    await program.parseAsync(["node", "tritonize", "kernel", "--problem", problem, "--out", join(dir, "runs"), "--workers", "1", "--rounds", "1", "--timeout", "7"]);
    return { code, stderr, timeouts };
  };
  try {
    const bad = await run(async () => ({ ok: false, code: "nondeterministic_reference", message: "different results on the same inputs" }));
    assert.equal(bad.code, 6);
    assert.match(bad.stderr, /the problem itself fails \(nondeterministic_reference\)/);
    assert.equal(server.requests.length, 0);
    const good = await run(async () => ({ ok: true, message: "ran" }));
    assert.equal(good.code, 0, good.stderr);
    assert.deepEqual(good.timeouts, [7000]);
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
