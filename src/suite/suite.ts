import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join, relative, resolve } from "node:path";
import { hostname } from "node:os";
import { z } from "zod";
import type { JobResult } from "./entry.js";
import { gpuGate, type GpuGate } from "./gpu-gate.js";
import { openLocalQueue, type Interrupted } from "./local-queue.js";
import type { GpuDevice, Slot } from "./placement.js";
import { SuiteInputError, type SuiteProblem } from "./problems.js";
import type { Claim, JobSpec, SuiteQueue, WorkerRef } from "./queue.js";
import { reapOrphans } from "./reap-orphans.js";
import { buildReport, writeReport, type SuiteReport } from "./report.js";
import { runJob, type JobSettings } from "./run-job.js";
import { spawnCli, type SpawnCli } from "./spawn-cli.js";
import { takeLock } from "./suite-lock.js";

/** What a suite keeps for its whole life (suite.json): a resumed suite runs with the same settings. */
export const StoredSettingsSchema = z.object({
  author: z.string().nullable(),
  device: z.enum(["auto", "cuda", "cpu"]),
  trials: z.number().int().nullable(),
  timeoutS: z.number().int(),
  benchTrials: z.number().int(),
  /** false with --no-bench: verified problems are not timed (suites from before the option timed) */
  bench: z.boolean().default(true),
  /** --set for every problem */
  sets: z.record(z.string(), z.string()),
  /** --sizes: --set per problem file name */
  sizes: z.record(z.string(), z.record(z.string(), z.string())),
});
export type StoredSettings = z.infer<typeof StoredSettingsSchema>;

export interface SuiteOptions {
  problems: SuiteProblem[];
  out: string;
  resume: boolean;
  /** required for a new suite; a resumed one reads its own */
  settings: StoredSettings | null;
  slots: Slot[];
  gpus: GpuDevice[];
  signal?: AbortSignal;
}

export type SuiteProgress =
  | { kind: "started"; total: number; finished: number; resumed: boolean; reaped: number[] }
  | { kind: "job-started"; id: string; attempt: number; slot: number; gpu: number | null }
  | { kind: "job-finished"; id: string; result: JobResult; report: SuiteReport };

export interface SuiteDeps {
  cli: string[];
  /** the job queue (default: the local state log in the suite folder); `interrupted` lists what to reap */
  openQueue?: (out: string, now: () => Date) => SuiteQueue & { interrupted: Interrupted[] };
  spawn?: SpawnCli;
  env?: NodeJS.ProcessEnv;
  now?: () => Date;
  onProgress?: (p: SuiteProgress) => void;
}

export interface SuiteOutcome {
  report: SuiteReport;
  paths: { json: string; html: string };
  aborted: boolean;
}

/** The attempt's folder: every try of a problem gets a new one, never reused. */
export function attemptDir(out: string, id: string, attempt: number): string {
  return join(out, "problems", id.replace(/[^A-Za-z0-9_.~-]+/g, "__"), `attempt-${attempt}`);
}

/** Runs (or resumes) a suite: every problem through `tritonize run` as its own process, on the local slots. */
export async function runSuite(opts: SuiteOptions, deps: SuiteDeps): Promise<SuiteOutcome> {
  const out = resolve(opts.out);
  const now = deps.now ?? (() => new Date());
  mkdirSync(out, { recursive: true });
  const unlock = takeLock(out);
  try {
    const settings = loadSettings(out, opts);
    const queue = (deps.openQueue ?? openLocalQueue)(out, now);
    const reaped = reapOrphans(queue.interrupted, (id, n) => attemptDir(out, id, n));
    await queue.add(opts.problems.map((p) => jobOf(p, settings, out)));
    const jobSettings: JobSettings = { ...settings, cli: deps.cli, env: deps.env ?? process.env };
    const reportSettings = { ...settingsForReport(settings), slots: opts.slots, gpus: opts.gpus };
    const report = async () => buildReport(out, reportSettings, await queue.snapshot(), now());
    let paths = writeReport(out, await report());
    const first = await queue.snapshot();
    deps.onProgress?.({ kind: "started", total: first.length, finished: first.filter((j) => j.state === "finished").length, resumed: opts.resume, reaped });

    const host = hostname();
    const gate = gpuGate();
    const worker = async (slot: Slot) => {
      const ref: WorkerRef = { host, slot: slot.slot, gpu: slot.gpu };
      while (!opts.signal?.aborted) {
        const claim = await queue.claim(ref);
        if (!claim) return;
        deps.onProgress?.({ kind: "job-started", id: claim.job.id, attempt: claim.attempt, slot: slot.slot, gpu: slot.gpu });
        const result = await runClaim(claim, queue, out, jobSettings, gate, deps, opts.signal);
        if (!result) return;
        const r = await report();
        paths = writeReport(out, r);
        deps.onProgress?.({ kind: "job-finished", id: claim.job.id, result, report: r });
      }
    };
    await Promise.all(opts.slots.map(worker));
    const final = await report();
    paths = writeReport(out, final);
    await queue.close();
    return { report: final, paths, aborted: opts.signal?.aborted ?? false };
  } finally {
    unlock();
  }
}

/** One claim to its end; null when the suite was aborted meanwhile (the claim goes back unfinished). */
async function runClaim(claim: Claim, queue: SuiteQueue, out: string, settings: JobSettings, gate: GpuGate, deps: SuiteDeps, signal?: AbortSignal): Promise<JobResult | null> {
  const dir = attemptDir(out, claim.job.id, claim.attempt);
  const clock = () => (deps.now ?? (() => new Date()))().getTime();
  let result: JobResult;
  try {
    const job = { ...claim.job, problem: resolve(out, claim.job.problem) };
    result = await runJob({ ...claim, job }, { settings, spawn: deps.spawn ?? spawnCli, attemptDir: dir, signal, clock, gate, onPid: (pid) => queue.notePid(claim, pid) });
  } catch (err) {
    if (signal?.aborted) return release(queue, claim);
    result = {
      status: "error", stage: "run", message: `the suite could not run this problem: ${(err as Error).message}`,
      runStatus: null, route: null, author: null, kernels: null, verdict: null, timings: null, timingNote: null,
      seconds: { run: 0, bench: null },
      paths: { attemptDir: dir, runDir: null, modelNew: null, verdict: null, events: null, log: join(dir, "run.log") },
    };
  }
  if (signal?.aborted) return release(queue, claim);
  result = relativePaths(result, out);
  await queue.complete(claim, result);
  return result;
}

async function release(queue: SuiteQueue, claim: Claim): Promise<null> {
  await queue.release(claim, "the suite was stopped");
  return null;
}

/**
 * The suite's records name files relative to its folder, so a suite (with the problems beside it)
 * can move between machines, as from a GPU host back to a laptop, and still resume and link.
 */
function jobOf(p: SuiteProblem, s: StoredSettings, out: string): JobSpec {
  return { id: p.id, problem: relative(out, p.path), sets: { ...s.sets, ...(s.sizes[basename(p.path)] ?? {}) } };
}

function relativePaths(r: JobResult, out: string): JobResult {
  const rel = (p: string | null) => (p === null ? null : relative(out, resolve(out, p)));
  const p = r.paths;
  return {
    ...r,
    paths: { attemptDir: rel(p.attemptDir)!, runDir: rel(p.runDir), modelNew: rel(p.modelNew), verdict: rel(p.verdict), events: rel(p.events), log: rel(p.log)! },
  };
}

function loadSettings(out: string, opts: SuiteOptions): StoredSettings {
  const path = join(out, "suite.json");
  const stored = existsSync(path);
  if (opts.resume) {
    const settings = readStoredSettings(out);
    if (!settings) throw new SuiteInputError(`nothing to resume in ${out}: it holds no suite.json; run without --resume to start a suite there`);
    return settings;
  }
  if (stored || existsSync(join(out, "state.jsonl"))) {
    throw new SuiteInputError(`${out} already holds a suite; pass --resume to finish it, or choose another --out`);
  }
  if (!opts.settings) throw new Error("a new suite needs its settings");
  if (opts.problems.length === 0) throw new SuiteInputError("no problems given: pass problem files or folders");
  writeFileSync(path, JSON.stringify(opts.settings, null, 2) + "\n");
  return opts.settings;
}

/** The settings a suite folder was started with, or null when it holds no suite. */
export function readStoredSettings(out: string): StoredSettings | null {
  const path = join(resolve(out), "suite.json");
  if (!existsSync(path)) return null;
  return StoredSettingsSchema.parse(JSON.parse(readFileSync(path, "utf8")));
}

function settingsForReport(s: StoredSettings) {
  return { author: s.author, device: s.device, trials: s.trials, timeoutS: s.timeoutS, benchTrials: s.benchTrials, bench: s.bench };
}
