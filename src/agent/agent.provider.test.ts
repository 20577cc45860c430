import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runKernelAgent } from "./agent.js";
import type { RunEvent } from "../runs/events.js";
import { resolveConfig } from "../config/config.js";
import { createModel } from "../config/create-model.js";
import { startOpenAIServer } from "../llm/testing/openai-server.js";
import { startAnthropicServer } from "../llm/testing/anthropic-server.js";
import type { ScriptInput } from "../llm/testing/script.js";
import { pyReply } from "./testing/scripted-model.js";
import { makeVerdict, processAlive, scriptedVerifier } from "./testing/scripted-verifier.js";

/** The agent driving the real providers (OpenAI-compatible and Anthropic) against scripted wire servers. */

const PROBLEM = "import torch\nimport torch.nn as nn\nclass Model(nn.Module):\n    def forward(self, x):\n        return x * 2\ndef get_inputs():\n    return [torch.randn(8)]\ndef get_init_inputs():\n    return []\n";
const code = (tag: string) => `import torch.nn as nn\nclass ModelNew(nn.Module):\n    pass  # ${tag}\n`;

function problemFile() {
  const dir = mkdtempSync(join(tmpdir(), "tritonize-provider-"));
  const problem = join(dir, "double.py");
  writeFileSync(problem, PROBLEM);
  return { dir, problem };
}

async function withServer(protocol: "openai" | "anthropic", script: ScriptInput) {
  const server = protocol === "openai" ? await startOpenAIServer(script) : await startAnthropicServer(script);
  const env =
    protocol === "openai"
      ? { OPENAI_BASE_URL: server.url, TRITONIZE_MODEL: "test-model", TRITONIZE_MAX_RETRIES: "2" }
      : { ANTHROPIC_API_KEY: "sk-ant-test-key-000000", ANTHROPIC_BASE_URL: server.url, TRITONIZE_MODEL: "anthropic:claude-sonnet-4-5", TRITONIZE_MAX_RETRIES: "2" };
  const config = resolveConfig({ env, cwd: mkdtempSync(join(tmpdir(), "tritonize-cfg-")) });
  const model = createModel(config, "kernel", { runtime: { sleep: async () => {} } });
  return { server, model };
}

for (const protocol of ["openai", "anthropic"] as const) {
  test(`${protocol}: the first success aborts the other worker's request and nothing more is asked`, async () => {
    const { dir, problem } = problemFile();
    // The first request answers with a passing kernel; the second never answers until cancelled.
    const { server, model } = await withServer(protocol, [{ reply: { text: pyReply(code("good")), chunkSize: 16 } }, { hang: true }]);
    const verifier = scriptedVerifier(() => ({ verdict: makeVerdict({ ok: true, stage: "passed" }), delayMs: 50 }));
    try {
      const t0 = Date.now();
      const result = await runKernelAgent({ problem, model, verify: verifier.verify, workers: 2, rounds: 3, out: join(dir, "runs") });
      assert.equal(result.status, "verified", result.message);
      assert.ok(Date.now() - t0 < 10_000, "the hanging request did not hold the run");
      // Give a stray request time to show up before counting.
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(server.requests.length, 2, "no request after the win");
      assert.equal(server.requests[1]!.clientClosedEarly, true, "the hanging request was aborted by the client");
      assert.deepEqual(result.workers.map((w) => w.outcome).sort(), ["cancelled", "verified"]);
      for (const pid of verifier.pids) assert.ok(!processAlive(pid));
    } finally {
      await server.close();
    }
  });

  test(`${protocol}: a retried provider failure is recorded as an event and the run goes on`, async () => {
    const { dir, problem } = problemFile();
    const { server, model } = await withServer(protocol, [{ status: 503, error: "overloaded" }, { reply: { text: pyReply(code("ok")) } }]);
    const verifier = scriptedVerifier(() => ({ verdict: makeVerdict({ ok: true, stage: "passed" }) }));
    const events: RunEvent[] = [];
    try {
      const result = await runKernelAgent({ problem, model, verify: verifier.verify, workers: 1, out: join(dir, "runs"), onEvent: (e) => events.push(e) });
      assert.equal(result.status, "verified", result.message);
      const retry = events.find((e) => e.kind === "model-retry");
      assert.ok(retry && retry.kind === "model-retry");
      assert.match(retry.data.message, /HTTP 503.*overloaded/);
    } finally {
      await server.close();
    }
  });

  test(`${protocol}: a failure that retries cannot fix ends the run as a provider error`, async () => {
    const { dir, problem } = problemFile();
    const { server, model } = await withServer(protocol, [{ status: 401, error: "invalid x-api-key" }]);
    const verifier = scriptedVerifier(() => ({ verdict: makeVerdict({ ok: true, stage: "passed" }) }));
    try {
      const result = await runKernelAgent({ problem, model, verify: verifier.verify, workers: 1, out: join(dir, "runs") });
      assert.equal(result.status, "provider-error");
      assert.match(result.message, /rejected the credentials \(HTTP 401\): .*invalid x-api-key; check the API key/);
      assert.equal(server.requests.length, 1);
    } finally {
      await server.close();
    }
  });
}
