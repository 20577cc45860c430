import assert from "node:assert/strict";
import { after, test } from "node:test";
import { createAnthropicModel } from "./anthropic.js";
import { createOpenAIModel } from "./openai.js";
import { startAnthropicServer } from "./testing/anthropic-server.js";
import { startOpenAIServer } from "./testing/openai-server.js";
import type { ScriptedServer } from "./testing/scripted-server.js";
import type { SamplingOptions } from "./types.js";

// Sampling parameters are checked on the body the server actually received.
const servers: ScriptedServer[] = [];
after(() => Promise.all(servers.map((s) => s.close())));

async function openaiBody(model: string, sampling: SamplingOptions, flavor: "openai" | "openai-compatible" = "openai") {
  const server = await startOpenAIServer({ steps: [{ reply: { text: "ok" } }] });
  servers.push(server);
  const r = await createOpenAIModel({ model, apiKey: "k-test", baseURL: server.url, flavor }).generate({ messages: [{ role: "user", content: "hi" }], sampling });
  return { body: server.requests[0]!.body, warnings: r.warnings };
}

async function anthropicBody(model: string, sampling: SamplingOptions) {
  const server = await startAnthropicServer({ steps: [{ reply: { text: "ok" } }] });
  servers.push(server);
  const r = await createAnthropicModel({ model, apiKey: "k-test", baseURL: server.url }).generate({
    messages: [{ role: "system", content: "Be exact." }, { role: "user", content: "hi" }],
    sampling,
  });
  return { body: server.requests[0]!.body, warnings: r.warnings };
}

const features = (w: { feature: string; type: string }[]) => w.map((x) => `${x.type}:${x.feature}`).sort();

test("openai chat model: temperature clamped to 0..2, max_completion_tokens", async () => {
  const { body, warnings } = await openaiBody("gpt-4o", { temperature: 3.5, maxOutputTokens: 500, reasoningEffort: "high" });
  assert.equal(body.temperature, 2);
  assert.equal(body.max_completion_tokens, 500);
  assert.equal(body.reasoning_effort, undefined);
  assert.deepEqual(body.stream_options, { include_usage: true });
  assert.deepEqual(features(warnings), ["clamped:temperature", "unsupported:reasoningEffort"]);
});

test("openai reasoning model: no temperature; reasoning_effort and max_completion_tokens", async () => {
  for (const model of ["o3", "o4-mini", "gpt-5", "gpt-5.2"]) {
    const { body, warnings } = await openaiBody(model, { temperature: 0.7, topP: 0.9, reasoningEffort: "low", maxOutputTokens: 4000 });
    assert.equal(body.temperature, undefined, model);
    assert.equal(body.top_p, undefined, model);
    assert.equal(body.reasoning_effort, "low", model);
    assert.equal(body.max_completion_tokens, 4000, model);
    assert.deepEqual(features(warnings), ["unsupported:temperature", "unsupported:topP"], model);
  }
});

test("openai-compatible: max_tokens, and an unknown model is warned about", async () => {
  const { body, warnings } = await openaiBody("qwen2.5-coder:32b", { temperature: 0.2, maxOutputTokens: 256 }, "openai-compatible");
  assert.equal(body.model, "qwen2.5-coder:32b");
  assert.equal(body.max_tokens, 256);
  assert.equal(body.temperature, 0.2);
  assert.deepEqual(features(warnings), ["assumed:model"]);
});

test("anthropic: system prompt kept, temperature clamped to 0..1, output limit per model", async () => {
  const { body, warnings } = await anthropicBody("claude-opus-4-5", { temperature: 1.7 });
  assert.equal(body.system, "Be exact.");
  assert.deepEqual(body.messages, [{ role: "user", content: "hi" }]);
  assert.equal(body.temperature, 1);
  assert.equal(body.max_tokens, 64000, "no 8192 cap");
  assert.deepEqual(features(warnings), ["clamped:temperature"]);
  assert.equal((await anthropicBody("claude-opus-4-1", {})).body.max_tokens, 32000);
  assert.equal((await anthropicBody("claude-3-5-haiku-latest", {})).body.max_tokens, 8192);
});

test("anthropic extended thinking: budget sent, temperature not", async () => {
  const { body, warnings } = await anthropicBody("claude-sonnet-4-5", { temperature: 0.5, thinkingBudgetTokens: 8000, maxOutputTokens: 20000 });
  assert.deepEqual(body.thinking, { type: "enabled", budget_tokens: 8000 });
  assert.equal(body.temperature, undefined);
  assert.equal(body.max_tokens, 20000);
  assert.deepEqual(features(warnings), ["unsupported:temperature"]);
  const small = await anthropicBody("claude-sonnet-4-5", { thinkingBudgetTokens: 4000, maxOutputTokens: 3000 });
  assert.deepEqual(small.body.thinking, { type: "enabled", budget_tokens: 2999 });
});

test("anthropic unknown model: a stated assumption, not a silent cap", async () => {
  const { body, warnings } = await anthropicBody("claude-newmodel-7", {});
  assert.equal(body.max_tokens, 32000);
  assert.deepEqual(features(warnings), ["assumed:maxOutputTokens"]);
});

test("a server that ignores n: the missing samples come from extra calls, with a warning", async () => {
  const server = await startOpenAIServer({ steps: [{ reply: { text: "one" }, ignoreN: true }, { reply: { text: "two" } }, { reply: { text: "two" } }] });
  servers.push(server);
  const r = await createOpenAIModel({ model: "llama3", apiKey: "x", baseURL: server.url, flavor: "openai-compatible" }).generate({ messages: [{ role: "user", content: "hi" }], n: 3 });
  assert.deepEqual(r.samples.map((s) => s.text), ["one", "two", "two"]);
  assert.equal(server.requests.length, 3);
  assert.ok(r.warnings.some((w) => w.feature === "n"));
});
