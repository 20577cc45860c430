import { renameSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { z } from "zod";
import { renderReportHtml } from "../web/report-html.js";
import { ENTRY_STATUSES, JobResultSchema } from "./entry.js";
import { suiteMetrics } from "./metrics.js";
import type { JobSnapshot } from "./queue.js";

/** report.json: the suite's settings, its KernelBench metrics, and one entry per problem. */
export const ReportEntrySchema = JobResultSchema.extend({
  id: z.string(),
  problem: z.string(),
  sets: z.record(z.string(), z.string()),
  status: z.enum([...ENTRY_STATUSES, "waiting", "running"]),
  attempts: z.number().int(),
  /** host and GPU of the latest attempt */
  host: z.string().nullable(),
  gpu: z.number().int().nullable(),
  seconds: JobResultSchema.shape.seconds.nullable(),
  /** relative to the suite folder (where report.json is) */
  paths: JobResultSchema.shape.paths.nullable(),
});
export type ReportEntry = z.infer<typeof ReportEntrySchema>;

const rate = z.number().nullable();
export const SuiteReportSchema = z.object({
  schema: z.literal("tritonize.suite/1"),
  out: z.string(),
  updatedAt: z.string(),
  /** every problem finished */
  complete: z.boolean(),
  settings: z.object({
    author: z.string().nullable(),
    device: z.string(),
    trials: z.number().nullable(),
    timeoutS: z.number(),
    benchTrials: z.number(),
    /** false: the suite ran with --no-bench */
    bench: z.boolean().default(true),
    slots: z.array(z.object({ slot: z.number().int(), gpu: z.number().int().nullable() })),
    gpus: z.array(z.object({ index: z.number().int(), name: z.string(), memoryMiB: z.number() })),
  }),
  summary: z.object({
    total: z.number().int(),
    finished: z.number().int(),
    counts: z.record(z.string(), z.number().int()),
    stages: z.record(z.string(), z.number().int()),
    timed: z.number().int(),
    fastP: z.array(z.object({ p: z.number(), eager: rate, compiled: rate })),
    geomean: z.object({ eager: rate, compiled: rate }),
  }),
  problems: z.array(ReportEntrySchema),
});
export type SuiteReport = z.infer<typeof SuiteReportSchema>;

export function buildReport(out: string, settings: SuiteReport["settings"], jobs: JobSnapshot[], now: Date): SuiteReport {
  const problems = jobs.map((j) => entryOf(j, out));
  return {
    schema: "tritonize.suite/1",
    out,
    updatedAt: now.toISOString(),
    complete: jobs.every((j) => j.state === "finished"),
    settings,
    summary: suiteMetrics(jobs.map((j) => j.result)),
    problems,
  };
}

function entryOf(j: JobSnapshot, out: string): ReportEntry {
  const where = { id: j.job.id, problem: resolve(out, j.job.problem), sets: j.job.sets, attempts: j.attempts, host: j.worker?.host ?? null, gpu: j.worker?.gpu ?? null };
  if (j.result) return { ...j.result, ...where };
  return {
    ...where,
    status: j.state === "running" ? "running" : "waiting",
    stage: null, message: "", runStatus: null, route: null, author: null, kernels: null, verdict: null,
    timings: null, timingNote: null, seconds: null, paths: null,
  };
}

/** Writes report.json and report.html, each by rename, so a reader never sees half a file. */
/** Why a report has no timings, null when it has some. */
export function noTimingsNote(r: SuiteReport): string | null {
  if (r.summary.timed > 0) return null;
  return r.settings.bench ? "no timings: the suite ran without a GPU" : "no timings: the suite ran with --no-bench";
}

export function writeReport(dir: string, report: SuiteReport): { json: string; html: string } {
  const json = join(dir, "report.json");
  const html = join(dir, "report.html");
  atomicWrite(json, JSON.stringify(report, null, 2) + "\n");
  atomicWrite(html, renderReportHtml(report));
  return { json, html };
}

function atomicWrite(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}
