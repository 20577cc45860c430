/**
 * Writes the offline author's model_new.py for every problem of bench/offline-problems.json at its
 * benchmark sizes (capture runs on CPU; no GPU needed), plus a manifest that
 * bench/offline_bench.py reads on the GPU host:
 *
 *   npx tsx bench/prepare-offline.ts [--problems bench/offline-problems.json] [--out bench/out/offline] [--only NAME]... [--conv-operands mn-major|k-major]
 *   python bench/offline_bench.py --manifest bench/out/offline/manifest.json
 *
 * `--level DIR` takes every problem file of a KernelBench level folder instead of a list, at its own
 * sizes (`--skip WORD` leaves out the files whose name holds WORD, e.g. `--skip conv`).
 *
 * `--conv-operands mn-major` writes the convolutions with MN-major operands instead of the default
 * K-major ones (AuthorOptions.convOperands); give it its own `--out`, and time both with
 * `offline_bench.py --alt`.
 */
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { authorOffline } from "../src/author/author.js";
import { captureGraph } from "../src/author/capture.js";
import type { AuthorOptions } from "../src/author/builder.js";

interface Entry {
  name: string;
  problem: string;
  sets: Record<string, string>;
  memoryBound: boolean;
  /** sizes to capture at, when the kernels read their shapes at call time (default: sets) */
  captureSets?: Record<string, string>;
}

const root = resolve(fileURLToPath(new URL("..", import.meta.url)));
const outArg = process.argv.indexOf("--out");
const out = resolve(outArg > 0 ? process.argv[outArg + 1]! : join(root, "bench/out/offline"));
const only = process.argv.flatMap((a, i) => (process.argv[i - 1] === "--only" ? [a] : []));
const listArg = process.argv.indexOf("--problems");
const listFile = resolve(listArg > 0 ? process.argv[listArg + 1]! : join(root, "bench/offline-problems.json"));
const levelArg = process.argv.indexOf("--level");
const skip = process.argv.flatMap((a, i) => (process.argv[i - 1] === "--skip" ? [a.toLowerCase()] : []));
const list = levelArg > 0 ? await levelList(resolve(process.argv[levelArg + 1]!), skip) : (JSON.parse(await readFile(listFile, "utf8")) as { problems: Entry[] });
const operandsArg = process.argv.indexOf("--conv-operands");
const operands = operandsArg > 0 ? process.argv[operandsArg + 1] : "k-major";
if (operands !== "mn-major" && operands !== "k-major") {
  process.stderr.write(`--conv-operands: expected mn-major or k-major, got ${operands ?? "nothing"}\n`);
  process.exit(2);
}
const options: AuthorOptions = { convOperands: operands };
if (only.length) list.problems = list.problems.filter((e) => only.includes(e.name));
await mkdir(out, { recursive: true });
const manifest: Array<Entry & { candidate: string; kernels: number; steps: string[] }> = [];
for (const e of list.problems) {
  const problem = join(root, e.problem);
  const doc = await captureGraph({ problem, sets: e.captureSets ?? e.sets });
  if (!doc.ok) {
    process.stderr.write(`${e.name}: capture failed: ${doc.message}\n`);
    continue;
  }
  const r = authorOffline(doc, options);
  if (!r.ok) {
    process.stderr.write(`${e.name}: ${r.message}\n`);
    continue;
  }
  const dir = join(out, e.name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "model_new.py"), r.code);
  manifest.push({ ...e, problem: relative(out, problem), candidate: relative(out, join(dir, "model_new.py")), kernels: r.kernels, steps: r.steps });
  process.stderr.write(`${e.name}: ${r.kernels} kernel(s): ${r.steps.join("; ")}\n`);
}
await writeFile(join(out, "manifest.json"), JSON.stringify({ problems: manifest }, null, 2) + "\n");
process.stderr.write(`wrote ${manifest.length} candidates and ${join(out, "manifest.json")}\n`);

/** Every problem file of a KernelBench level folder, at its own sizes, less those whose name holds a skipped word. */
async function levelList(dir: string, skipped: string[]): Promise<{ problems: Entry[] }> {
  const all = await readdir(dir).catch((e: Error) => {
    process.stderr.write(`--level ${dir}: cannot read the folder (${e.message}); give a KernelBench level folder, e.g. KernelBench/level1\n`);
    process.exit(2);
  });
  const files = all.filter((f) => f.endsWith(".py") && !skipped.some((w) => f.toLowerCase().includes(w))).sort();
  if (!files.length) {
    process.stderr.write(`--level ${dir}: no problem files there\n`);
    process.exit(2);
  }
  const products = /matmul|matrix_mult|multiplication/i;
  return { problems: files.map((f) => ({ name: f.slice(0, -3).slice(0, 40), problem: relative(root, join(dir, f)), sets: {}, memoryBound: !products.test(f) })) };
}
