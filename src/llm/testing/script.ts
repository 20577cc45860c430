import { z } from "zod";

/**
 * The script a test server follows: one step per incoming request, in order. Steps are
 * protocol-neutral; each server renders them in its own wire format (OpenAI chunks or Anthropic
 * events), so one script drives both.
 */
export const replySchema = z.object({
  /** The answer (every choice, when `choices` is absent). */
  text: z.string().default("ok"),
  /** One text per choice for OpenAI's `n`. */
  choices: z.array(z.string()).optional(),
  finish: z.enum(["stop", "length"]).default("stop"),
  usage: z.object({ input: z.number().int(), output: z.number().int() }).optional(),
  /** Characters per streamed delta. */
  chunkSize: z.number().int().positive().default(4),
});

export const stepSchema = z.object({
  status: z.number().int().default(200),
  headers: z.record(z.string(), z.string()).default({}),
  /** Error message for a non-2xx status, sent in the protocol's error body. */
  error: z.string().optional(),
  reply: replySchema.optional(),
  /** Wait before sending anything. */
  delayMs: z.number().int().nonnegative().default(0),
  /** Wait between streamed events. */
  eventDelayMs: z.number().int().nonnegative().default(0),
  /** Accept the request and never answer. */
  hang: z.boolean().default(false),
  /** Destroy the socket after this many events (a dropped connection). */
  dropAfterEvents: z.number().int().nonnegative().optional(),
  /** End the response cleanly after this many events (a truncated stream). */
  endAfterEvents: z.number().int().nonnegative().optional(),
  /** Send an event whose data is not JSON after this many events, then end. */
  malformedAfterEvents: z.number().int().nonnegative().optional(),
  /** Stop sending after this many events and keep the connection open. */
  stallAfterEvents: z.number().int().nonnegative().optional(),
  /** OpenAI only: answer a single choice whatever `n` asks (like servers that ignore `n`). */
  ignoreN: z.boolean().default(false),
});

export const scriptSchema = z.object({
  steps: z.array(stepSchema),
  /** Repeat the last step when the script runs out (otherwise: HTTP 400 naming the request). */
  repeatLast: z.boolean().default(false),
});

export type StepInput = z.input<typeof stepSchema>;
export type Step = z.output<typeof stepSchema>;
export type Reply = z.output<typeof replySchema>;
export type ScriptInput = z.input<typeof scriptSchema> | StepInput[];
export type Script = z.output<typeof scriptSchema>;

export function parseScript(input: ScriptInput): Script {
  return scriptSchema.parse(Array.isArray(input) ? { steps: input } : input);
}

/** Splits text into deltas of `size` characters (at least one, possibly empty, delta). */
export function chunks(text: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out.length ? out : [""];
}
