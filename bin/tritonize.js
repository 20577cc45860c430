#!/usr/bin/env node
// The `tritonize` command: runs the bundled CLI built by `npm run setup` (or `npm run build`).
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const bundle = new URL("../dist/tritonize.mjs", import.meta.url);
if (!existsSync(fileURLToPath(bundle))) {
  process.stderr.write("tritonize is not built yet: run 'npm run setup' in " + fileURLToPath(new URL("..", import.meta.url)) + "\n");
  process.exit(9);
}
const { main } = await import(bundle.href);
process.exitCode = await main(process.argv);
