import { z } from "zod";

/**
 * The outcome of one problem of a suite, as report.json holds it. `status` says how far it got;
 * `stage` where it stopped (null when verified).
 *   verified     run verified model_new.py (and, on a GPU, bench re-checked and timed it)
 *   rejected     the harness rejected model_new.py (stage: the verdict's failure stage)
 *   unsupported  no model_new.py was written (stage: capture or author)
 *   error        the run ended without a usable result document (stage: run or bench)
 *   timeout      the suite killed the problem at its time limit (stage: run or bench)
 */
export const ENTRY_STATUSES = ["verified", "rejected", "unsupported", "error", "timeout"] as const;
export const EntryStatusSchema = z.enum(ENTRY_STATUSES);
export type EntryStatus = z.infer<typeof EntryStatusSchema>;

export const EntryTimingsSchema = z.object({
  candidateMs: z.number(),
  eagerMs: z.number(),
  compiledMs: z.number().nullable(),
  speedupVsEager: z.number(),
  speedupVsCompiled: z.number().nullable(),
  compileError: z.string().nullable(),
});
export type EntryTimings = z.infer<typeof EntryTimingsSchema>;

export const EntryVerdictSchema = z.object({
  ok: z.boolean(),
  stage: z.string(),
  code: z.string().nullable(),
  message: z.string(),
  maxAbsErr: z.number().nullable(),
  device: z.string(),
  interpreter: z.boolean(),
});

export const JobResultSchema = z.object({
  status: EntryStatusSchema,
  stage: z.string().nullable(),
  message: z.string(),
  /** run's own status word (verified, rejected, unsupported, capture_failed, …), null without a document */
  runStatus: z.string().nullable(),
  route: z.string().nullable(),
  author: z.string().nullable(),
  kernels: z.number().nullable(),
  verdict: EntryVerdictSchema.nullable(),
  timings: EntryTimingsSchema.nullable(),
  /** why there are no timings for a verified problem (no GPU, bench failed), null otherwise */
  timingNote: z.string().nullable(),
  /** bench: the timing with the GPU alone; warm: filling the compile caches for it, beside other jobs */
  seconds: z.object({ run: z.number(), bench: z.number().nullable(), warm: z.number().nullable().optional() }),
  paths: z.object({
    attemptDir: z.string(),
    runDir: z.string().nullable(),
    modelNew: z.string().nullable(),
    verdict: z.string().nullable(),
    events: z.string().nullable(),
    log: z.string(),
  }),
});
export type JobResult = z.infer<typeof JobResultSchema>;
