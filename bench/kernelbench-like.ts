/**
 * Runs every problem in examples/kernelbench_like/ (KernelBench level-1 problems of the offline
 * author's families, written in KernelBench's style) through capture -> offline author -> verify on
 * the chosen device, at the CPU-small sizes in small.json unless --full, and prints a table.
 *
 *   npx tsx bench/kernelbench-like.ts [--device cpu|cuda] [--full] [--only 19,23,40] [--jobs 2]
 *
 * Exit status 0 when every problem verified.
 */
import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { captureGraph } from "../src/author/capture.js";
import { runProblem, type RunResult } from "../src/author/run-offline.js";
import { verifyCandidate } from "../src/harness/verify.js";
import { mapConcurrently } from "../src/author/map-concurrently.js";

const dir = fileURLToPath(new URL("../examples/kernelbench_like/", import.meta.url));

export function kernelbenchLikeProblems(): { file: string; number: number; small: Record<string, string> }[] {
  const small = JSON.parse(readFileSync(join(dir, "small.json"), "utf8")) as Record<string, Record<string, string>>;
  return readdirSync(dir)
    .filter((f) => f.endsWith(".py"))
    .map((file) => ({ file, number: Number(file.split("_")[0]), small: small[file] ?? {} }))
    .sort((a, b) => a.number - b.number);
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      device: { type: "string", default: "cpu" },
      full: { type: "boolean", default: false },
      only: { type: "string" },
      jobs: { type: "string", default: "2" },
    },
  });
  const only = values.only ? new Set(values.only.split(",").map(Number)) : null;
  const problems = kernelbenchLikeProblems().filter((p) => !only || only.has(p.number));
  const out = mkdtempSync(join(tmpdir(), "tritonize-kernelbench-like-"));
  const rows = await mapConcurrently(problems, Number(values.jobs), async (p) => {
    const t0 = Date.now();
    const r: RunResult = await runProblem(
      {
        problem: join(dir, p.file),
        sets: values.full ? {} : p.small,
        outDir: out,
        author: "offline",
        device: values.device as "cpu" | "cuda",
        trials: 1,
        timeoutMs: 300_000,
      },
      { capture: captureGraph, verify: verifyCandidate, modelAuthor: null, providerConfigured: false },
    );
    const s = ((Date.now() - t0) / 1000).toFixed(1);
    const line = `${r.ok ? "PASS" : "FAIL"}  ${p.file.padEnd(48)} ${s.padStart(6)}s  ${r.ok ? r.steps.join("; ") : `${r.status}: ${r.message.split(". The model-driven path")[0]}`}`;
    console.log(line);
    return { p, r };
  });
  const failed = rows.filter((x) => !x.r.ok);
  console.log(`\n${rows.length - failed.length}/${rows.length} verified (run folders under ${out})`);
  return failed.length === 0 ? 0 : 1;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().then((code) => process.exit(code), (e: unknown) => {
    console.error(e);
    process.exit(2);
  });
}
