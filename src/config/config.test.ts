import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { LlmError } from "../llm/errors.js";
import { parseModelRef, resolveConfig, resolveStage } from "./config.js";
import { parseDotenv } from "./dotenv.js";
import { isPlaceholder } from "./placeholder.js";

const emptyDir = () => mkdtempSync(join(tmpdir(), "tritonize-config-"));

test("dotenv: quotes, export, comments, escapes; bad lines reported", () => {
  const { values, errors } = parseDotenv(
    ['# comment', 'export A=1', 'B = "two words # not a comment"', "C='lit\\n'", 'D="x\\ny"', "E=plain # trailing", "F=", "oops", 'G="open'].join("\n"),
  );
  assert.deepEqual(values, { A: "1", B: "two words # not a comment", C: "lit\\n", D: "x\ny", E: "plain", F: "" });
  assert.deepEqual(errors, ["line 8: expected KEY=value", "line 9: unterminated double quote for G"]);
});

test("placeholders count as unset", () => {
  for (const v of ["", "  ", "sk-...", "sk-ant-...", "your-key-here", "YOUR_API_KEY", "<openai key>", "changeme", "${OPENAI_API_KEY}", "xxxx", undefined]) {
    assert.equal(isPlaceholder(v), true, String(v));
  }
  for (const v of ["sk-proj-abc123def456", "not-needed", "ollama", "http://localhost:11434/v1"]) assert.equal(isPlaceholder(v), false, v);
});

test(".env fills what the environment lacks and never overrides it", () => {
  const dir = emptyDir();
  writeFileSync(join(dir, ".env"), "OPENAI_API_KEY=sk-from-dotenv-123456\nTRITONIZE_MODEL=gpt-4.1\nANTHROPIC_API_KEY=sk-ant-...\nTRITONIZE_WORKERS=3\n");
  const c = resolveConfig({ env: { TRITONIZE_MODEL: "gpt-4o" }, cwd: dir });
  assert.equal(c.providers.openai?.apiKey, "sk-from-dotenv-123456");
  assert.equal(c.providers.anthropic, undefined, "placeholder key in .env is unset");
  assert.equal(c.models.kernel?.name, "gpt-4o");
  assert.equal(c.models.kernel?.source, "env");
  assert.equal(c.workers, 3);
});

test("OPENAI_BASE_URL alone configures an OpenAI-compatible server with a dummy key", () => {
  const c = resolveConfig({ env: { OPENAI_BASE_URL: "http://localhost:11434/v1/", TRITONIZE_MODEL: "llama3.1:8b" }, cwd: emptyDir() });
  assert.equal(c.providers.openai?.id, "openai-compatible");
  assert.equal(c.providers.openai?.baseURL, "http://localhost:11434/v1");
  assert.equal(c.providers.openai?.apiKey, "not-needed");
  const r = resolveStage(c, "kernel");
  assert.equal(r.model, "llama3.1:8b", "an Ollama tag is not a provider prefix");
});

test("model per stage: --model beats stage variables, which beat TRITONIZE_MODEL, which beats the default", () => {
  const env = { ANTHROPIC_API_KEY: "sk-ant-real-0123456789", OPENAI_API_KEY: "sk-real-0123456789", TRITONIZE_MODEL_KERNEL: "anthropic:claude-opus-4-5", TRITONIZE_MODEL: "gpt-4.1" };
  const c = resolveConfig({ env, cwd: emptyDir() });
  assert.deepEqual(resolveStage(c, "kernel").provider.id, "anthropic");
  assert.equal(resolveStage(c, "kernel").model, "claude-opus-4-5");
  assert.equal(resolveStage(c, "router").model, "gpt-4.1");
  const flagged = resolveConfig({ env, cwd: emptyDir(), flags: { model: "claude-haiku-4-5" } });
  assert.equal(resolveStage(flagged, "kernel").model, "claude-haiku-4-5");
  const dflt = resolveConfig({ env: { ANTHROPIC_API_KEY: "sk-ant-real-0123456789" }, cwd: emptyDir() });
  assert.equal(resolveStage(dflt, "mapper").provider.id, "anthropic");
});

test("parseModelRef", () => {
  assert.deepEqual(parseModelRef("anthropic:claude-x"), { provider: "anthropic", model: "claude-x" });
  assert.deepEqual(parseModelRef("claude-opus-4-5"), { provider: "anthropic", model: "claude-opus-4-5" });
  assert.deepEqual(parseModelRef("compatible:qwen2.5-coder:32b"), { provider: "openai", model: "qwen2.5-coder:32b" });
  assert.deepEqual(parseModelRef("qwen2.5-coder:32b"), { provider: "openai", model: "qwen2.5-coder:32b" });
});

test("nothing configured: one-line not_configured naming the variables", () => {
  const c = resolveConfig({ env: { OPENAI_API_KEY: "sk-..." }, cwd: emptyDir() });
  assert.throws(
    () => resolveStage(c, "kernel"),
    (e: unknown) =>
      e instanceof LlmError &&
      e.detail.code === "not_configured" &&
      !e.message.includes("\n") &&
      /OPENAI_API_KEY/.test(e.message) &&
      /ANTHROPIC_API_KEY/.test(e.message) &&
      /OPENAI_BASE_URL/.test(e.message) &&
      /TRITONIZE_MODEL/.test(e.message),
  );
});

test("a model whose provider is missing, and a compatible server without a model, say what to set", () => {
  const a = resolveConfig({ env: { OPENAI_API_KEY: "sk-real-0123456789", TRITONIZE_MODEL: "claude-opus-4-5" }, cwd: emptyDir() });
  assert.throws(() => resolveStage(a, "kernel"), /ANTHROPIC_API_KEY/);
  const b = resolveConfig({ env: { OPENAI_BASE_URL: "http://127.0.0.1:1/v1" }, cwd: emptyDir() });
  assert.throws(() => resolveStage(b, "kernel"), /TRITONIZE_MODEL/);
});

test("invalid numbers are typed config errors", () => {
  assert.throws(() => resolveConfig({ env: { TRITONIZE_WORKERS: "many" }, cwd: emptyDir() }), (e: unknown) => e instanceof LlmError && e.detail.code === "invalid_config");
  assert.equal(resolveConfig({ env: { TRITONIZE_ROUNDS: "2" }, cwd: emptyDir(), flags: { rounds: "5" } }).rounds, 5);
});
