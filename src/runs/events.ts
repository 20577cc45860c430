import { z } from "zod";
import { StageSchema } from "../harness/verdict.js";

/**
 * The events of a run: one tagged union, appended to `events.jsonl` as they happen and handed to
 * live listeners (terminal view, tests, later a web UI) unchanged. Every consumer needs one
 * `switch (event.kind)`. Each event carries the pipeline stage, the worker and round it belongs to
 * (null when it belongs to the run as a whole) and a kind-specific `data` object.
 */

export const PipelineStageSchema = z.enum(["kernel", "reference"]);
export type PipelineStage = z.infer<typeof PipelineStageSchema>;

const UsageSchema = z.object({ inputTokens: z.number(), outputTokens: z.number() });

/** Why a reply produced no candidate to verify. */
export const RejectionSchema = z.enum(["no-code", "syntax", "missing-entry", "duplicate", "truncated"]);
export type Rejection = z.infer<typeof RejectionSchema>;

export const WorkerOutcomeSchema = z.enum([
  "verified",
  "cancelled",
  "rounds-exhausted",
  "budget-exhausted",
  "provider-error",
  "error",
]);
export type WorkerOutcome = z.infer<typeof WorkerOutcomeSchema>;

export const BudgetSchema = z.enum(["rounds", "wall-time", "tokens"]);
export type Budget = z.infer<typeof BudgetSchema>;

export const RunStatusSchema = z.enum(["verified", "budget-exhausted", "provider-error", "failed", "aborted"]);
export type RunStatus = z.infer<typeof RunStatusSchema>;

function event<K extends string, D extends z.ZodTypeAny>(kind: K, data: D) {
  return z.object({
    time: z.string(),
    stage: PipelineStageSchema,
    worker: z.number().int().nullable(),
    round: z.number().int().nullable(),
    kind: z.literal(kind),
    data,
  });
}

export const RunEventSchema = z.discriminatedUnion("kind", [
  event(
    "run-started",
    z.object({
      runId: z.string(),
      runDir: z.string(),
      problem: z.string().nullable(),
      description: z.string().nullable(),
      workers: z.number().int(),
      rounds: z.number().int(),
      wallTimeMs: z.number().nullable(),
      maxTokens: z.number().nullable(),
      provider: z.string(),
      model: z.string(),
      device: z.string(),
    }),
  ),
  /** The reference problem written from a description passed its load-and-run check. */
  event("reference-ready", z.object({ path: z.string(), attempts: z.number().int(), summary: z.string() })),
  /** One attempt at a reference problem did not load or run; the next attempt is told why. */
  event("reference-rejected", z.object({ reason: z.string() })),
  event(
    "worker-started",
    z.object({ temperature: z.number().nullable(), variant: z.string(), dir: z.string() }),
  ),
  event("round-started", z.object({ dir: z.string() })),
  event("model-request", z.object({ promptPath: z.string(), promptChars: z.number().int() })),
  /** Throttled progress of a streamed reply (characters so far), for live views. */
  event("model-progress", z.object({ chars: z.number().int() })),
  event(
    "model-reply",
    z.object({
      replyPath: z.string(),
      chars: z.number().int(),
      finishReason: z.string(),
      usage: UsageSchema,
      latencyMs: z.number(),
      retries: z.number().int(),
    }),
  ),
  /** The provider retries a failed call; text streamed so far is void. */
  event("model-retry", z.object({ attempt: z.number().int(), delayMs: z.number(), message: z.string() })),
  /** A provider warning (an unsupported or clamped option), kept so nothing is silent. */
  event("model-warning", z.object({ type: z.string(), feature: z.string(), detail: z.string() })),
  event("model-error", z.object({ message: z.string(), provider: z.string(), model: z.string() })),
  event(
    "candidate-rejected",
    z.object({ reason: RejectionSchema, message: z.string(), line: z.number().int().nullable() }),
  ),
  event("candidate", z.object({ path: z.string(), hash: z.string(), lines: z.number().int() })),
  event("verify-started", z.object({ candidatePath: z.string() })),
  event(
    "verdict",
    z.object({
      path: z.string(),
      ok: z.boolean(),
      stage: StageSchema,
      code: z.string().nullable(),
      message: z.string(),
      line: z.number().int().nullable(),
      maxAbsErr: z.number().nullable(),
      durationMs: z.number(),
    }),
  ),
  /** The verifier itself failed (could not run, bad document): not the candidate's fault. */
  event("verify-error", z.object({ message: z.string() })),
  event(
    "worker-finished",
    z.object({ outcome: WorkerOutcomeSchema, rounds: z.number().int(), message: z.string().nullable() }),
  ),
  event("budget-exhausted", z.object({ budget: BudgetSchema, detail: z.string() })),
  event(
    "run-finished",
    z.object({
      status: RunStatusSchema,
      resultPath: z.string(),
      winner: z.object({ worker: z.number().int(), round: z.number().int(), path: z.string() }).nullable(),
      elapsedMs: z.number(),
      usage: UsageSchema,
      message: z.string(),
    }),
  ),
]);

export type RunEvent = z.infer<typeof RunEventSchema>;
export type RunEventKind = RunEvent["kind"];
/** The data of the event of one kind. */
export type EventData<K extends RunEventKind> = Extract<RunEvent, { kind: K }>["data"];

/** Reads an events.jsonl text back, validating every line; names the line that does not fit. */
export function parseEvents(text: string): RunEvent[] {
  const out: RunEvent[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line) continue;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch (err) {
      throw new Error(`events.jsonl line ${i + 1} is not JSON: ${(err as Error).message}`);
    }
    const r = RunEventSchema.safeParse(raw);
    if (!r.success) {
      const issue = r.error.issues[0];
      throw new Error(
        `events.jsonl line ${i + 1} does not fit the event schema: ${issue?.path.join(".") || "(root)"}: ${issue?.message}`,
      );
    }
    out.push(r.data);
  }
  return out;
}
