/**
 * Writes the offline author's model_new.py for KernelBench level-1 problems at their full sizes,
 * and a manifest that bench/verify_full.py reads on the GPU host (which needs only Python there).
 * Capture runs on the meta device (bench/capture_meta.py): full shapes, no memory, no GPU.
 *
 *   npx tsx bench/prepare-verify-full.ts --kernelbench DIR/level1 [--out bench/out/verify-full] [--only NAME]...
 */
import { execFile } from "node:child_process";
import { mkdir, readdir, writeFile } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { authorOffline } from "../src/author/author.js";
import { parseCaptureDocument } from "../src/author/graph.js";
import { resolvePython } from "../src/harness/python.js";

const run = promisify(execFile);
const root = resolve(fileURLToPath(new URL("..", import.meta.url)));
const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1]! : fallback;
};
const level1 = resolve(arg("--kernelbench", "/work/kernelbench/KernelBench/level1"));
const out = resolve(arg("--out", join(root, "bench/out/verify-full")));
const only = process.argv.flatMap((a, i) => (process.argv[i - 1] === "--only" ? [a] : []));
const python = await resolvePython();

const files = (await readdir(level1)).filter((f) => f.endsWith(".py") && (!only.length || only.includes(f)));
files.sort((a, b) => parseInt(a) - parseInt(b));
await mkdir(out, { recursive: true });

interface Entry {
  name: string;
  problem: string;
  candidate: string;
  kernels: number;
}
const manifest: Entry[] = [];
const skipped: { name: string; why: string }[] = [];

async function prepare(file: string): Promise<void> {
  const name = basename(file, ".py");
  let document: unknown;
  try {
    const { stdout } = await run(python, [join(root, "bench/capture_meta.py"), "--problem", join(level1, file), "--json"], {
      timeout: 300_000,
      maxBuffer: 64 << 20,
    });
    document = JSON.parse(stdout);
  } catch (e) {
    skipped.push({ name, why: `capture failed: ${(e as Error).message.split("\n")[0]}` });
    return;
  }
  const doc = parseCaptureDocument(document, `capture ${file}`);
  if (!doc.ok) return void skipped.push({ name, why: doc.message });
  const r = authorOffline(doc);
  if (!r.ok) return void skipped.push({ name, why: r.message });
  await mkdir(join(out, name), { recursive: true });
  await writeFile(join(out, name, "model_new.py"), r.code);
  manifest.push({ name, problem: file, candidate: `${name}/model_new.py`, kernels: r.kernels });
  process.stderr.write(`${name}: ${r.kernels} kernel(s)\n`);
}

// Two captures at a time: each is a Python process importing torch.
const queue = [...files];
await Promise.all(
  [0, 1].map(async () => {
    for (let f = queue.shift(); f; f = queue.shift()) await prepare(f);
  }),
);
manifest.sort((a, b) => parseInt(a.problem) - parseInt(b.problem));
await writeFile(join(out, "manifest.json"), JSON.stringify({ level: 1, problems: manifest, skipped }, null, 2) + "\n");
process.stderr.write(`wrote ${manifest.length} candidates (${skipped.length} problems skipped) and ${join(out, "manifest.json")}\n`);
