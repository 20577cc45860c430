import { z } from "zod";

/**
 * The verdict document: the one thing the Python harness hands back about a candidate.
 * Written by python/tritonize_harness/verdict.py; every field crosses the process boundary as data
 * and is validated here. `ok` is true only for an accepted candidate (then `stage` is "passed").
 */
export const FAILURE_STAGES = [
  "load",
  "static",
  "compile",
  "runtime",
  "correctness",
  "integrity",
  "timeout",
  /** the machine could not hold the verification (memory); never the candidate's fault */
  "resources",
] as const;
export const StageSchema = z.enum([...FAILURE_STAGES, "passed"]);
export type Stage = z.infer<typeof StageSchema>;

export const TrialSchema = z.object({
  index: z.number().int(),
  seed: z.number().int(),
  calls: z.number().int(),
  ok: z.boolean(),
  maxAbsErr: z.number().nullable(),
  maxRelErr: z.number().nullable(),
  worstIndex: z.array(z.number().int()).nullable(),
  /** which output (for tuple outputs) the worst element belongs to */
  worstOutput: z.number().int().nullable(),
  launches: z.number().int(),
  /** wall time of the trial's calls and comparison (absent in older documents) */
  seconds: z.number().nullable().optional(),
  code: z.string().nullable(),
  message: z.string().nullable(),
  /** passed only against the float64 reference: eager's own rounding exceeded the tolerance */
  judgedAgainstExact: z.boolean().optional(),
});
export type Trial = z.infer<typeof TrialSchema>;

export const AtenOpSchema = z.object({
  op: z.string(),
  count: z.number().int(),
  /** allocation, view, metadata or a same-dtype copy: what a wrapper may do */
  allowed: z.boolean(),
});

export const TimingsSchema = z.object({
  unit: z.literal("ms"),
  trials: z.number().int(),
  candidate: z.object({ median: z.number(), mean: z.number() }),
  eager: z.object({ median: z.number(), mean: z.number() }),
  compiled: z.object({ median: z.number(), mean: z.number() }).nullable(),
  speedupVsEager: z.number(),
  speedupVsCompiled: z.number().nullable(),
  compileError: z.string().nullable(),
});
export type Timings = z.infer<typeof TimingsSchema>;

/** Seconds per step of one verification (docs/verification.md names each); absent in older documents. */
const SecondsSchema = z.record(z.string(), z.number());
export const PhasesSchema = z.object({
  /** measured in the supervisor: its start, problem load, footprint, admission, waits, teardown */
  supervisor: SecondsSchema,
  /** reported by the candidate's process: its imports, CUDA and profiler start, the candidate's import */
  worker: SecondsSchema,
  /** per trial: inputs, reference, transfer, the candidate's calls, comparison, the float64 look, checks */
  trials: z.array(SecondsSchema),
  /** trials whose inputs and reference outputs came from the reference cache */
  referenceCacheHits: z.number().int(),
});
export type Phases = z.infer<typeof PhasesSchema>;

/** Where the GPU memory of a verification went (null on the CPU). */
export const MemorySchema = z.object({
  supervisorPeakBytes: z.number().int(),
  workerPeakBytes: z.number().int(),
  /** what the candidate's process keeps between calls (its input copies, the model) */
  workerHeldBytes: z.number().int().optional(),
  paramBytes: z.number().int(),
  /** cached material and model this verification used, allocated before it began */
  heldBeforeBytes: z.number().int(),
  /** measured by the allocator (the verification ran alone in its process), else estimated */
  measured: z.boolean(),
  /** the supervisor's peak above its start, per step (when measured) */
  steps: z.record(z.string(), z.number().int()).nullable(),
});
export type Memory = z.infer<typeof MemorySchema>;

export const VerdictSchema = z.object({
  schema: z.literal("tritonize.verdict/1"),
  ok: z.boolean(),
  stage: StageSchema,
  /** machine-readable reason, e.g. "aten_compute_op", "no_launch", "mismatch"; null when ok */
  code: z.string().nullable(),
  /** one sentence rendered from code + details; what a user or a model reads first */
  message: z.string(),
  details: z.record(z.string(), z.unknown()),
  /** line in the candidate file where the failure was raised, when known */
  line: z.number().int().nullable(),
  /** the last frames of a traceback, when a Python error caused the failure */
  traceback: z.string().nullable(),
  trials: z.array(TrialSchema),
  maxAbsErr: z.number().nullable(),
  maxRelErr: z.number().nullable(),
  worstIndex: z.array(z.number().int()).nullable(),
  launches: z.number().int(),
  atenOps: z.array(AtenOpSchema),
  degenerate: z.boolean(),
  tolerance: z.object({ atol: z.number(), rtol: z.number() }).nullable(),
  device: z.string(),
  interpreter: z.boolean(),
  problem: z.string(),
  candidate: z.string(),
  durationMs: z.number(),
  timings: TimingsSchema.nullable().optional(),
  /** inputs plus reference outputs, in bytes: the problem's own memory */
  footprintBytes: z.number().int().nullable().optional(),
  /** GPU memory of the verification at its peak (supervisor and candidate's process); null on the CPU */
  peakBytes: z.number().int().nullable().optional(),
  memory: MemorySchema.nullable().optional(),
  phases: PhasesSchema.optional(),
});
export type Verdict = z.infer<typeof VerdictSchema>;

/** Parses a harness document, naming the first field that does not fit. */
export function parseVerdict(raw: unknown, source: string): Verdict {
  const r = VerdictSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    const where = issue ? issue.path.join(".") || "(root)" : "(root)";
    throw new Error(
      `the harness returned a verdict that does not fit the schema (${source}): ${where}: ${issue?.message ?? "invalid"}`,
    );
  }
  return r.data;
}
