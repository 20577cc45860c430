import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { VerdictSchema, type Verdict } from "../harness/verdict.js";
import type { EntryTimings, JobResult } from "./entry.js";
import type { GpuGate } from "./gpu-gate.js";
import type { Claim } from "./queue.js";
import type { ChildOutcome, SpawnCli } from "./spawn-cli.js";

/** How every job of a suite runs: the options passed through to `tritonize run` and `bench`. */
export interface JobSettings {
  /** the CLI's argv prefix, e.g. [node, dist/tritonize.mjs] */
  cli: string[];
  author: string | null;
  device: "auto" | "cuda" | "cpu";
  trials: number | null;
  /** limit for each child (run, then bench), seconds; run's verification gets it too */
  timeoutS: number;
  /** timed iterations for bench; bench runs only on GPU slots */
  benchTrials: number;
  /** false: verify only (--no-bench) */
  bench: boolean;
  env: NodeJS.ProcessEnv;
}

export interface JobContext {
  settings: JobSettings;
  spawn: SpawnCli;
  /** the attempt's own folder: a killed suite's orphans can write only into theirs */
  attemptDir: string;
  signal?: AbortSignal;
  onPid: (pid: number) => Promise<void>;
  clock: () => number;
  /** runs share their GPU, bench has it alone */
  gate: GpuGate;
}

/**
 * The part of `tritonize run --json`'s document the suite reads. Other fields are tolerated, so
 * the run command can grow without breaking suites.
 */
const RunDocSchema = z.looseObject({
  ok: z.boolean(),
  status: z.string(),
  message: z.string(),
  runDir: z.string(),
  modelNew: z.string().nullable(),
  author: z.string().nullable(),
  kernels: z.number().nullable().optional(),
  route: z.unknown().optional(),
  verdict: z
    .looseObject({
      ok: z.boolean(),
      stage: z.string(),
      code: z.string().nullable(),
      message: z.string(),
      maxAbsErr: z.number().nullable(),
      // the pipeline route's end-to-end verdict comes in brief, without these
      device: z.string().optional(),
      interpreter: z.boolean().optional(),
    })
    .nullable(),
});
type RunDoc = z.infer<typeof RunDocSchema>;

/** Runs one claimed problem: `tritonize run`, then on a GPU `tritonize bench` on what it verified. */
export async function runJob(claim: Claim, ctx: JobContext): Promise<JobResult> {
  mkdirSync(ctx.attemptDir, { recursive: true });
  const { settings: s } = ctx;
  const env = claim.worker.gpu === null ? s.env : { ...s.env, CUDA_VISIBLE_DEVICES: String(claim.worker.gpu) };
  const sets = Object.entries(claim.job.sets).flatMap(([k, v]) => ["--set", `${k}=${v}`]);
  const log = join(ctx.attemptDir, "run.log");
  const device = claim.worker.gpu === null ? s.device : "cuda";
  const started = ctx.clock();
  const out = await onGpu(claim.worker.gpu, ctx.gate.shared, () => ctx.spawn(s.cli, {
    args: [
      "run", "--problem", claim.job.problem, "--out", ctx.attemptDir, "--json", "--device", device,
      "--timeout", String(s.timeoutS), ...(s.trials ? ["--trials", String(s.trials)] : []),
      ...(s.author ? ["--author", s.author] : []), ...sets,
    ],
    env, logFile: log, timeoutMs: (s.timeoutS + 60) * 1000, signal: ctx.signal, onPid: ctx.onPid,
  }));
  const runSeconds = (ctx.clock() - started) / 1000;
  const base = { runStatus: null, route: null, author: null, kernels: null, verdict: null, timings: null, timingNote: null };
  const paths = { attemptDir: ctx.attemptDir, runDir: null, modelNew: null, verdict: null, events: null, log };
  if (out.timedOut) {
    return { ...base, status: "timeout", stage: "run", message: `run took longer than ${s.timeoutS + 60} s and was killed`, seconds: { run: runSeconds, bench: null }, paths };
  }
  const doc = readRunDoc(out);
  if (!doc.ok) {
    return { ...base, status: "error", stage: "run", message: `${doc.message}${logTail(log)}`, seconds: { run: runSeconds, bench: null }, paths };
  }
  const r = doc.doc;
  const entry: JobResult = {
    ...base,
    ...classify(r, out.exitCode),
    runStatus: r.status,
    route: routeName(r.route),
    author: r.author,
    kernels: r.kernels ?? null,
    verdict: r.verdict && pick(r.verdict, device),
    seconds: { run: runSeconds, bench: null },
    paths: {
      ...paths,
      runDir: r.runDir,
      modelNew: r.modelNew,
      verdict: existing(join(r.runDir, "verdict.json")),
      events: existing(join(r.runDir, "events.jsonl")),
    },
  };
  if (entry.status !== "verified" || ctx.signal?.aborted) return entry;
  if (!s.bench) return { ...entry, timingNote: "not timed: the suite runs with --no-bench" };
  if (claim.worker.gpu === null) return { ...entry, timingNote: "not timed: timings need a GPU" };
  return bench(claim, r.modelNew!, entry, env, sets, ctx);
}

function classify(r: RunDoc, exitCode: number | null): Pick<JobResult, "status" | "stage" | "message"> {
  if (r.ok && exitCode === 0 && r.modelNew) return { status: "verified", stage: null, message: r.message };
  if (r.ok) return { status: "error", stage: "run", message: `run reported success but exited with status ${exitCode}` };
  if (r.verdict && !r.verdict.ok) return { status: "rejected", stage: r.verdict.stage, message: r.message };
  if (!r.modelNew) return { status: "unsupported", stage: r.status === "capture_failed" ? "capture" : "author", message: r.message };
  return { status: "error", stage: "run", message: r.message };
}

async function bench(claim: Claim, modelNew: string, entry: JobResult, env: NodeJS.ProcessEnv, sets: string[], ctx: JobContext): Promise<JobResult> {
  const s = ctx.settings;
  const log = join(ctx.attemptDir, "bench.log");
  const args = ["bench", "--problem", claim.job.problem, "--candidate", modelNew, "--json", ...sets];
  // Compiling (the candidate's kernels, torch.compile's graph) needs the GPU little: it fills the
  // on-disk caches beside other jobs, and the timing that has the GPU alone starts from them.
  const warmStarted = ctx.clock();
  await onGpu(claim.worker.gpu, ctx.gate.shared, () => ctx.spawn(s.cli, {
    args: [...args, "--cache-only"], env, logFile: join(ctx.attemptDir, "bench-warm.log"),
    timeoutMs: s.timeoutS * 1000, signal: ctx.signal, onPid: ctx.onPid,
  }));
  const warm = (ctx.clock() - warmStarted) / 1000;
  if (ctx.signal?.aborted) return { ...entry, seconds: { ...entry.seconds, warm } };
  const started = ctx.clock();
  const out = await onGpu(claim.worker.gpu, ctx.gate.exclusive, () => ctx.spawn(s.cli, {
    args: [...args, "--trials", String(s.benchTrials)],
    env, logFile: log, timeoutMs: s.timeoutS * 1000, signal: ctx.signal, onPid: ctx.onPid,
  }));
  const seconds = { ...entry.seconds, warm, bench: (ctx.clock() - started) / 1000 };
  if (out.timedOut) return { ...entry, seconds, timingNote: `bench took longer than ${s.timeoutS} s and was killed` };
  let verdict: Verdict;
  try {
    verdict = VerdictSchema.parse(JSON.parse(lastLine(out.stdout)));
  } catch {
    return { ...entry, seconds, timingNote: `bench exited with status ${out.exitCode} without a verdict${logTail(log)}` };
  }
  writeFileSync(join(ctx.attemptDir, "bench.json"), JSON.stringify(verdict, null, 2) + "\n");
  if (!verdict.ok) {
    // bench verifies again before and after timing: a failure there outranks run's verdict
    return { ...entry, seconds, status: "rejected", stage: verdict.stage, message: `rejected when timed: ${verdict.message}`, verdict: pick(verdict, "cuda") };
  }
  if (!verdict.timings) return { ...entry, seconds, timingNote: "bench accepted the candidate but returned no timings" };
  return { ...entry, seconds, timings: timingsOf(verdict.timings) };
}

async function onGpu<T>(gpu: number | null, hold: (gpu: number) => Promise<() => void>, fn: () => Promise<T>): Promise<T> {
  if (gpu === null) return fn();
  const release = await hold(gpu);
  try {
    return await fn();
  } finally {
    release();
  }
}

function timingsOf(t: NonNullable<Verdict["timings"]>): EntryTimings {
  return {
    candidateMs: t.candidate.median,
    eagerMs: t.eager.median,
    compiledMs: t.compiled?.median ?? null,
    speedupVsEager: t.speedupVsEager,
    speedupVsCompiled: t.speedupVsCompiled,
    compileError: t.compileError,
  };
}

function readRunDoc(out: ChildOutcome): { ok: true; doc: RunDoc } | { ok: false; message: string } {
  const how = out.signal ? `was killed by ${out.signal}` : `exited with status ${out.exitCode}`;
  let raw: unknown;
  try {
    raw = JSON.parse(lastLine(out.stdout));
  } catch {
    return { ok: false, message: `run ${how} without a result document` };
  }
  const r = RunDocSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    return { ok: false, message: `run ${how}; its result document does not fit (${issue?.path.join(".") || "(root)"}: ${issue?.message})` };
  }
  return { ok: true, doc: r.data };
}

/** The verdict's summary; a brief verdict (the pipeline route's) is placed on the device the run was given. */
function pick(v: NonNullable<RunDoc["verdict"]>, device: string): NonNullable<JobResult["verdict"]> {
  return { ok: v.ok, stage: v.stage, code: v.code, message: v.message, maxAbsErr: v.maxAbsErr,
    device: v.device ?? device, interpreter: v.interpreter ?? device === "cpu" };
}

/** The pipeline's route, whatever shape `run` gives it (a word, or an object naming its path). */
function routeName(route: unknown): string | null {
  if (typeof route === "string") return route;
  if (route && typeof route === "object") {
    const r = route as Record<string, unknown>;
    for (const key of ["path", "kind", "name"]) if (typeof r[key] === "string") return r[key] as string;
  }
  return null;
}

const lastLine = (text: string) => text.trim().split("\n").pop() ?? "";
const existing = (path: string) => (existsSync(path) ? path : null);

function logTail(log: string): string {
  const lines = existsSync(log) ? readFileSync(log, "utf8").trim().split("\n").filter(Boolean) : [];
  return lines.length ? `; its log ends: ${lines.slice(-3).join(" | ").slice(-600)}` : "";
}
