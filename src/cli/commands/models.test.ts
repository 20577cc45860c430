import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { startAnthropicServer } from "../../llm/testing/anthropic-server.js";
import { startOpenAIServer } from "../../llm/testing/openai-server.js";
import type { ScriptedServer } from "../../llm/testing/scripted-server.js";
import { runModels } from "./models.js";

const servers: ScriptedServer[] = [];
after(() => Promise.all(servers.map((s) => s.close())));
const cwd = mkdtempSync(join(tmpdir(), "tritonize-models-"));

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, deps: { out: (t: string) => void out.push(t), err: (t: string) => void err.push(t) } };
}

test("models --check against an OpenAI-compatible and an Anthropic test server", async () => {
  const oa = await startOpenAIServer({ steps: [{ reply: { text: "ok" } }] });
  const an = await startAnthropicServer({ steps: [{ status: 500, error: "down for maintenance" }] });
  servers.push(oa, an);
  const key = "sk-ant-real-key-0123456789abcdef";
  const env = { OPENAI_BASE_URL: oa.url, TRITONIZE_MODEL: "llama3.1:8b", TRITONIZE_MODEL_KERNEL: "claude-opus-4-5", ANTHROPIC_API_KEY: key, ANTHROPIC_BASE_URL: an.url };
  const c = capture();
  const code = await runModels({ check: true }, { env, cwd, ...c.deps });
  const text = c.out.join("");
  assert.equal(code, 1, "a failed check exits non-zero");
  assert.match(text, /openai-compatible\s+http:\/\/127\.0\.0\.1:\d+\/v1/);
  assert.match(text, /kernel\s+anthropic:claude-opus-4-5/);
  assert.match(text, /router\s+openai-compatible:llama3\.1:8b/);
  assert.match(text, /openai-compatible\s+llama3\.1:8b\s+ok \d+ms/);
  assert.match(text, /anthropic\s+claude-opus-4-5\s+FAILED: .*down for maintenance/);
  assert.ok(!text.includes(key));
  assert.equal(an.requests.length, 1, "--check does not retry");
  assert.equal(oa.requests[0]!.body.max_tokens, 16);
});

test("models --json lists providers without keys", async () => {
  const c = capture();
  const code = await runModels({ json: true }, { env: { OPENAI_API_KEY: "sk-proj-verysecret-0123456789" }, cwd, ...c.deps });
  assert.equal(code, 0);
  const doc = JSON.parse(c.out.join(""));
  assert.deepEqual(doc.providers, [{ id: "openai", baseURL: "https://api.openai.com/v1", key: "OPENAI_API_KEY" }]);
  assert.equal(doc.stages[0].model, "gpt-5");
  assert.ok(!c.out.join("").includes("verysecret"));
});

test("the CLI, as a subprocess: nothing configured is one line on stderr and exit 1", () => {
  const main = join(import.meta.dirname, "..", "main.ts");
  const r = spawnSync(process.execPath, ["--import", import.meta.resolve("tsx"), main, "models"], {
    cwd,
    env: { PATH: process.env.PATH, NODE_PATH: process.env.NODE_PATH, OPENAI_API_KEY: "your-key-here" },
    encoding: "utf8",
  });
  assert.equal(r.status, 1, r.stderr);
  const lines = r.stderr.trim().split("\n");
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, /^tritonize: no language model provider is configured: set OPENAI_API_KEY, ANTHROPIC_API_KEY or OPENAI_BASE_URL/);
});
