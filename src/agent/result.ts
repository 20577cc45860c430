import { z } from "zod";
import { BudgetSchema, RunStatusSchema, WorkerOutcomeSchema } from "../runs/events.js";

/** The result document of one kernel-agent run (result.json, `--json`, the library's return value). */

const UsageSchema = z.object({ inputTokens: z.number(), outputTokens: z.number() });

export const AttemptRefSchema = z.object({
  worker: z.number().int(),
  round: z.number().int(),
  /** a verdict stage, or why the reply never reached the verifier (no-code, syntax, …) */
  stage: z.string(),
  summary: z.string(),
  candidatePath: z.string().nullable(),
  verdictPath: z.string().nullable(),
});
export type AttemptRef = z.infer<typeof AttemptRefSchema>;

export const WorkerSummarySchema = z.object({
  worker: z.number().int(),
  temperature: z.number().nullable(),
  variant: z.string(),
  rounds: z.number().int(),
  outcome: WorkerOutcomeSchema,
  lastStage: z.string().nullable(),
  message: z.string().nullable(),
});
export type WorkerSummary = z.infer<typeof WorkerSummarySchema>;

export const KernelResultSchema = z.object({
  schema: z.literal("tritonize.kernel-result/1"),
  status: RunStatusSchema,
  /** one or two sentences for a person: what happened and what to do next */
  message: z.string(),
  runId: z.string(),
  runDir: z.string(),
  eventsPath: z.string(),
  /** the reference every verdict is against (written into the run directory for a description) */
  problem: z.string(),
  description: z.string().nullable(),
  provider: z.string(),
  model: z.string(),
  device: z.string(),
  winner: z
    .object({
      worker: z.number().int(),
      round: z.number().int(),
      /** copy of the verified candidate at the top of the run directory */
      kernelPath: z.string(),
      /** the verdict on kernel.py exactly as written (the candidate's own, or the wrapped file's) */
      kernelVerdictPath: z.string(),
      /** true when the candidate defined kernel_function and kernel.py wraps it into ModelNew */
      wrapped: z.boolean(),
      candidatePath: z.string(),
      verdictPath: z.string(),
      hash: z.string(),
      maxAbsErr: z.number().nullable(),
    })
    .nullable(),
  elapsedMs: z.number(),
  usage: UsageSchema,
  budgets: z.object({ rounds: z.number().int(), wallTimeMs: z.number().nullable(), maxTokens: z.number().nullable() }),
  exhausted: BudgetSchema.nullable(),
  roundsRun: z.number().int(),
  workers: z.array(WorkerSummarySchema),
  bestAttempt: AttemptRefSchema.nullable(),
  /** the problem's own failure code when the problem failed its check before any round, else null */
  problemCode: z.string().nullable(),
  /** how often each failure stage (or rejection reason) occurred over all rounds */
  failureStages: z.record(z.string(), z.number().int()),
  commonFailureStage: z.string().nullable(),
  /** provider and verifier failures, worded for a person; never dropped */
  errors: z.array(z.string()),
});
export type KernelResult = z.infer<typeof KernelResultSchema>;
