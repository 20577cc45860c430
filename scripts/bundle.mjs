// Bundles the CLI into one ESM file (dist/tritonize.mjs) with its dependencies inside, so it runs
// with nothing but Node (e.g. on a GPU host without node_modules).
import { cpSync, mkdirSync, readdirSync } from "node:fs";
import { build } from "esbuild";

await build({
  entryPoints: ["src/cli/main.ts"],
  outfile: "dist/tritonize.mjs",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: false,
  logLevel: "warning",
  // CommonJS dependencies call require() for Node's built-ins.
  banner: { js: "import { createRequire as __tritonizeRequire } from 'node:module'; const require = __tritonizeRequire(import.meta.url);" },
});

// The scripted model server, for demonstrations against a local OpenAI- or Anthropic-style endpoint.
await build({
  entryPoints: ["src/llm/testing/serve.ts"],
  outfile: "dist/serve.mjs",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  logLevel: "warning",
});

// Prompt templates are read at run time from a prompts/ folder beside the bundle.
mkdirSync("dist/prompts", { recursive: true });
for (const name of readdirSync("src/prompts")) {
  if (name.endsWith(".njk")) cpSync(`src/prompts/${name}`, `dist/prompts/${name}`);
}
