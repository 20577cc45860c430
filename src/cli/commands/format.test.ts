import { strict as assert } from "node:assert";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { Command } from "commander";
import { startOpenAIServer } from "../../llm/testing/openai-server.js";
import { register } from "./format.js";

/**
 * `tritonize format` on a composed module whose __init__ is not Model's
 * (examples/mapping/composed/): with a provider configured (a scripted OpenAI-compatible server)
 * the mapper model writes the mapping and the real harness verifies model_new.py on CPU; with none
 * the command fails and says what to configure.
 */
const root = fileURLToPath(new URL("../../../", import.meta.url));
const problem = join(root, "examples/mapping/buffers.py");
const composed = join(root, "examples/mapping/composed/buffers_composed.py");
const subgraphs = join(root, "examples/mapping/composed/buffers_subgraphs.json");

const reply = "```json\n" + JSON.stringify({
  launches: [{ subgraph: "sg1", kernel: "_sg1_run", outputs: ["y"], result: "sequence", arguments: [
    { argument: "x0", source: "input", expr: "x" }, { argument: "w0", source: "buffer", expr: "self.shift" }, { argument: "w1", source: "buffer", expr: "self.scale" }] }],
  returns: "y",
}) + "\n```";

async function format(env: Record<string, string | undefined>): Promise<{ code: number; out: string; doc: { ok: boolean; message: string; mapping: { derived: string } | null } }> {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete process.env[k];
  const out = mkdtempSync(join(tmpdir(), "tritonize-format-cli-"));
  let printed = "";
  const write = process.stdout.write.bind(process.stdout);
  // only the command's own document is taken; anything else written to stdout passes through
  process.stdout.write = ((t: string | Uint8Array, ...rest: never[]) =>
    typeof t === "string" && t.startsWith('{"schema":"tritonize.format/1"') ? ((printed += t), true) : write(t, ...rest)) as typeof process.stdout.write;
  let code = -1;
  try {
    const program = new Command().exitOverride();
    register(program, (c) => (code = c));
    await program.parseAsync(["node", "tritonize", "format", "--problem", problem, "--composed", composed, "--subgraphs", subgraphs, "--out", out, "--device", "cpu", "--trials", "1", "--json"]);
  } finally {
    process.stdout.write = write;
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
  }
  return { code, out, doc: JSON.parse(printed.trim()) };
}

const none = { OPENAI_API_KEY: undefined, ANTHROPIC_API_KEY: undefined, OPENAI_BASE_URL: undefined };

test("format: the mapper model writes the mapping where the composed __init__ is not Model's; the harness verifies it", { timeout: 120_000 }, async () => {
  const server = await startOpenAIServer({ steps: [{ reply: { text: reply } }], repeatLast: true });
  try {
    const r = await format({ ...none, OPENAI_BASE_URL: server.url, TRITONIZE_MODEL: "test-model", TRITONIZE_MAX_RETRIES: "0" });
    assert.equal(r.code, 0, r.doc.message);
    assert.equal(r.doc.ok, true);
    assert.equal(r.doc.mapping?.derived, "model");
    assert.equal(server.requests.length, 1);
    assert.match(readFileSync(join(r.out, "model_new.py"), "utf8"), /y, = _sg1_run\(x, self\.shift, self\.scale\)/);
  } finally {
    await server.close();
  }
});

test("format with no provider: not written, and the message says what to configure", async () => {
  const r = await format(none);
  assert.equal(r.code, 1);
  assert.equal(r.doc.ok, false);
  assert.match(r.doc.message, /not Model.__init__.*needs a configured provider/);
});
