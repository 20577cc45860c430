/**
 * KernelBench problems through `tritonize run` (the router, both routes, fallback), in-process:
 * prints one line per problem, then how many were verified, by which route, and the failures by
 * cause. Not a test. On a GPU host, from the repository root:
 *
 *   npx tsx bench/kernelbench-run.ts --dir /path/KernelBench/level2 --dir /path/KernelBench/level3 [--problem FILE]... \
 *     --device cuda --out bench/out/kernelbench-run [--parallel 4] [--only 1_] [--limit N] [--trials 5] [--set name=value]
 *     [--route direct|pipeline]
 *
 * On a CPU (Triton's interpreter), `--shrink` runs each problem at small sizes.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { captureGraph } from "../src/author/capture.js";
import { mapConcurrently } from "../src/author/map-concurrently.js";
import { kernelAgentAuthor } from "../src/author/model-author.js";
import { runProblem } from "../src/author/run-offline.js";
import { resolveConfig } from "../src/config/config.js";
import { verifyCandidate } from "../src/harness/verify.js";
import { pipelineDeps } from "../src/pipeline/cli-deps.js";
import { runPipeline, type PipelineResult } from "../src/pipeline/run-pipeline.js";

const { values } = parseArgs({
  options: {
    dir: { type: "string", multiple: true, default: [] },
    problem: { type: "string", multiple: true, default: [] },
    device: { type: "string", default: "auto" },
    out: { type: "string", default: "bench/out/kernelbench-run" },
    parallel: { type: "string", default: "2" },
    only: { type: "string" },
    limit: { type: "string" },
    trials: { type: "string", default: "5" },
    set: { type: "string", multiple: true, default: [] },
    /** direct | pipeline: force the route (no fallback), as `tritonize run --route R --no-fallback` */
    route: { type: "string" },
    /** CPU checks: halve every even top-level integer constant above 32 (lists too) */
    shrink: { type: "boolean", default: false },
  },
});
const device = values.device as "auto" | "cuda" | "cpu";
if (values.route !== undefined && values.route !== "direct" && values.route !== "pipeline") throw new Error(`--route must be direct or pipeline, not ${values.route}`);
const route = values.route as "direct" | "pipeline" | undefined;
const sets = Object.fromEntries(values.set!.map((s) => s.split("=", 2) as [string, string]));
const out = resolve(values.out!);
mkdirSync(out, { recursive: true });
let problems = values.problem!.map((p) => resolve(p)).concat(values.dir!.flatMap((d) => readdirSync(d).filter((f) => f.endsWith(".py")).sort((a, b) => parseInt(a) - parseInt(b)).map((f) => join(resolve(d), f))));
if (values.only) problems = problems.filter((p) => basename(p).startsWith(values.only!));
if (values.limit) problems = problems.slice(0, Number(values.limit));

const config = resolveConfig({});
const providerConfigured = Object.keys(config.providers).length > 0;
const modelAuthor = providerConfigured ? kernelAgentAuthor(config, { device, sets }) : null;

function halve(v: number): number {
  while (v > 32 && v % 2 === 0) v /= 2;
  return v;
}

/** Smaller sizes for a CPU run: each even integer constant (or list of them) above 32 halved down to 32 or below. */
function shrunk(problem: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of readFileSync(problem, "utf8").matchAll(/^([A-Za-z_]\w*)\s*=\s*(\d+|\[[\d,\s]+\])\s*(#.*)?$/gm)) {
    const [, name, value] = m;
    if (value!.startsWith("[")) out[name!] = `[${value!.slice(1, -1).split(",").map((x) => halve(Number(x.trim()))).join(", ")}]`;
    else if (halve(Number(value)) !== Number(value)) out[name!] = String(halve(Number(value)));
  }
  return out;
}

/** Why a run failed, in a few words that group well. */
function cause(r: PipelineResult): string {
  if (r.ok) return "verified";
  const first = r.attempts[0];
  const m = r.message;
  const op = m.match(/does not cover ([\w.]+)/);
  if (op) return `offline author lacks ${op[1]}`;
  const model = m.match(/model (fuser|composer): (no attempt accepted|the model request)/);
  if (model) return `model ${model[1]}: ${model[2] === "the model request" ? "request failed" : "budget spent"}`;
  const fuser = m.match(/deterministic (fuser|composer) does not handle ([\w .]+?)( at line|:)/);
  if (fuser) return `${fuser[1]}: ${fuser[2]}`;
  const rejected = m.match(/rejected at (\w+)/);
  if (rejected) return `rejected at ${rejected[1]}`;
  return first?.status ?? r.status;
}

const rows = await mapConcurrently(problems, Number(values.parallel), async (problem) => {
  const started = Date.now();
  const deps = pipelineDeps({
    config: providerConfigured ? config : null,
    direct: (o) => runProblem(o, { capture: captureGraph, verify: verifyCandidate, modelAuthor, providerConfigured }),
    outDir: join(out, "runs"),
  });
  let r: PipelineResult | null = null;
  let error: string | null = null;
  try {
    r = await runPipeline({ problem, sets: values.shrink ? { ...shrunk(problem), ...sets } : sets, device, trials: Number(values.trials), outDir: join(out, "runs"), author: providerConfigured ? "auto" : "offline", route, noFallback: route !== undefined }, deps);
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
  }
  const row = {
    problem: basename(problem),
    level: basename(resolve(problem, "..")),
    ok: r?.ok ?? false,
    route: r?.route ?? null,
    decided: r?.decision?.route ?? null,
    cause: r ? cause(r) : `crashed: ${error}`,
    message: r?.message ?? error,
    runDir: r?.runDir ?? null,
    seconds: Math.round((Date.now() - started) / 1000),
  };
  process.stdout.write(`${row.ok ? "VERIFIED" : "failed  "}  ${row.level}/${row.problem}  route=${row.route}  ${row.ok ? "" : row.cause}  (${row.seconds}s)\n`);
  return row;
});

const count = (f: (r: (typeof rows)[number]) => boolean) => rows.filter(f).length;
const tally = (key: (r: (typeof rows)[number]) => string, sel = rows) =>
  Object.entries(sel.reduce<Record<string, number>>((a, r) => ({ ...a, [key(r)]: (a[key(r)] ?? 0) + 1 }), {})).sort((a, b) => b[1] - a[1]);
console.log(`\n${count((r) => r.ok)} of ${rows.length} verified`);
for (const level of [...new Set(rows.map((r) => r.level))]) {
  const sel = rows.filter((r) => r.level === level);
  console.log(`  ${level}: ${sel.filter((r) => r.ok).length} of ${sel.length} verified; by route: ${tally((r) => r.route ?? "none", sel.filter((r) => r.ok)).map(([k, v]) => `${k} ${v}`).join(", ") || "none"}`);
}
console.log("failures by cause:");
for (const [k, v] of tally((r) => r.cause, rows.filter((r) => !r.ok))) console.log(`  ${v}  ${k}`);
writeFileSync(join(out, "results.json"), JSON.stringify(rows, null, 2) + "\n");
console.log(`\nresults: ${join(out, "results.json")}`);
