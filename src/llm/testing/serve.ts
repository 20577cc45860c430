/**
 * Runs a scripted test server from the command line, for demos and manual checks:
 *   npx tsx src/llm/testing/serve.ts --protocol openai --script script.json [--port 8123]
 * Prints the base URL on stdout (point OPENAI_BASE_URL or ANTHROPIC_BASE_URL at it) and serves
 * until interrupted. Without --script it answers every request with "ok".
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { startAnthropicServer } from "./anthropic-server.js";
import { startOpenAIServer } from "./openai-server.js";
import type { ScriptInput } from "./script.js";

const { values } = parseArgs({
  options: {
    protocol: { type: "string", default: "openai" },
    script: { type: "string" },
    port: { type: "string" },
  },
});
const script: ScriptInput = values.script
  ? (JSON.parse(readFileSync(values.script, "utf8")) as ScriptInput)
  : { steps: [{ reply: { text: "ok" } }], repeatLast: true };
const start = values.protocol === "anthropic" ? startAnthropicServer : values.protocol === "openai" ? startOpenAIServer : null;
if (!start) {
  process.stderr.write(`serve: --protocol must be openai or anthropic, got ${values.protocol}\n`);
  process.exit(2);
}
const server = await start(script, values.port ? { port: Number(values.port) } : {});
process.stdout.write(`${server.url}\n`);
const stop = () => void server.close().then(() => process.exit(0));
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
