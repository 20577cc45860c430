// Bundles the CLI into one ESM file (dist/tritonize.mjs) with its dependencies inside, so it runs
// with nothing but Node (e.g. on a GPU host without node_modules).
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
