import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { resolveConfig } from "../config/config.js";
import { createModel } from "../config/create-model.js";
import { costOf } from "./prices.js";
import { RequestRecorder } from "./record.js";
import { startAnthropicServer } from "./testing/anthropic-server.js";
import type { ScriptedServer } from "./testing/scripted-server.js";

const servers: ScriptedServer[] = [];
after(() => Promise.all(servers.map((s) => s.close())));
const key = "sk-ant-api03-SECRETSECRETSECRET0123456789";
const noSleep = { sleep: async () => {}, random: () => 0 };

test("every request is written with prompt, text, usage, retries and errors; totals roll up; the key never appears", async () => {
  const server = await startAnthropicServer([
    { status: 529, error: "overloaded" },
    { reply: { text: "first answer", usage: { input: 1000, output: 200 } } },
    { status: 401, error: `invalid x-api-key ${key}` },
  ]);
  servers.push(server);
  const dir = mkdtempSync(join(tmpdir(), "tritonize-record-"));
  const config = resolveConfig({ env: { ANTHROPIC_API_KEY: key, ANTHROPIC_BASE_URL: server.url, TRITONIZE_MODEL: "claude-opus-4-5" }, cwd: dir });
  const run = new RequestRecorder(dir, { secrets: [key] });
  const worker = run.child("worker-0");
  const model = createModel(config, "kernel", { record: worker, runtime: noSleep });

  const r = await model.generate({ messages: [{ role: "user", content: "write a kernel" }], sampling: { temperature: 0.3 } });
  assert.equal(r.samples[0]!.text, "first answer");
  await assert.rejects(model.generate({ messages: [{ role: "user", content: "again" }] }), /rejected the credentials/);

  const files = readdirSync(join(dir, "worker-0")).sort();
  assert.deepEqual(files, ["request-0001.json", "request-0002.json", "totals.json"]);
  const first = JSON.parse(readFileSync(join(dir, "worker-0", "request-0001.json"), "utf8"));
  assert.equal(first.ok, true);
  assert.equal(first.label, "kernel");
  assert.deepEqual(first.messages, [{ role: "user", content: "write a kernel" }]);
  assert.equal(first.sent.temperature, 0.3);
  assert.equal(first.samples[0].text, "first answer");
  assert.deepEqual(first.usage, { inputTokens: 1000, outputTokens: 200 });
  assert.equal(first.retries, 1);
  assert.equal(first.attempts[0].error.code, "server_error");
  assert.equal(first.costUsd, costOf("anthropic", "claude-opus-4-5", { inputTokens: 1000, outputTokens: 200 }));
  const second = JSON.parse(readFileSync(join(dir, "worker-0", "request-0002.json"), "utf8"));
  assert.equal(second.ok, false);
  assert.equal(second.error.code, "auth");

  const totals = JSON.parse(readFileSync(join(dir, "totals.json"), "utf8"));
  assert.equal(totals.requests, 2);
  assert.equal(totals.failed, 1);
  assert.equal(totals.retries, 1);
  assert.equal(totals.inputTokens, 1000);
  assert.ok(totals.costUsd > 0);
  assert.deepEqual(run.totals(), totals);

  for (const f of [...files.map((x) => join(dir, "worker-0", x)), join(dir, "totals.json")]) {
    const text = readFileSync(f, "utf8");
    assert.ok(!text.includes(key), `${f} contains the key`);
    assert.ok(!text.includes("SECRETSECRET"), `${f} contains part of the key`);
  }
  // The key did reach the server, in the header only.
  const h = server.requests[0]!.headers;
  assert.ok(h["x-api-key"] === key || h.authorization === `Bearer ${key}`);
});

test("prices: longest prefix, unknown is null", () => {
  assert.equal(costOf("openai", "gpt-4o-mini-2024-07-18", { inputTokens: 1e6, outputTokens: 0 }), 0.15);
  assert.equal(costOf("openai", "gpt-4o-2024-08-06", { inputTokens: 0, outputTokens: 1e6 }), 10);
  assert.equal(costOf("openai-compatible", "gpt-4o", { inputTokens: 1, outputTokens: 1 }), null);
  assert.equal(costOf("openai", "mystery", { inputTokens: 1, outputTokens: 1 }), null);
});
