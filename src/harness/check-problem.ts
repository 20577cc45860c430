import { z } from "zod";
import { runHarness } from "./run-harness.js";
import { setArgs, type Device } from "./verify.js";

const ValueSchema = z.object({
  kind: z.string(),
  shape: z.array(z.number()).optional(),
  dtype: z.string().optional(),
  contiguous: z.boolean().optional(),
  value: z.unknown().optional(),
});

export const ProblemReportSchema = z.object({
  schema: z.literal("tritonize.problem/1"),
  ok: z.boolean(),
  problem: z.string(),
  code: z.string().nullable(),
  message: z.string(),
  details: z.record(z.string(), z.unknown()),
  traceback: z.string().nullable(),
  device: z.string().nullable(),
  constants: z.record(z.string(), z.unknown()),
  initInputs: z.array(ValueSchema),
  inputs: z.array(ValueSchema),
  outputs: z.array(ValueSchema),
  parameters: z.array(z.object({ name: z.string(), shape: z.array(z.number()), dtype: z.string() })),
  /** whether the model runs in training mode (BatchNorm then uses batch statistics) */
  training: z.boolean().nullable().optional(),
  durationMs: z.number(),
});
export type ProblemReport = z.infer<typeof ProblemReportSchema>;

/** Loads a problem and runs it once: does it load, what goes in and what comes out. */
export async function checkProblem(opts: {
  problem: string;
  sets?: Record<string, string>;
  device?: Device;
  signal?: AbortSignal;
  timeoutMs?: number;
  python?: string;
}): Promise<ProblemReport> {
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const outcome = await runHarness({
    args: ["inspect", "--problem", opts.problem, "--device", opts.device ?? "auto", ...setArgs(opts.sets)],
    timeoutMs,
    signal: opts.signal,
    python: opts.python,
  });
  if (outcome.kind !== "document") {
    const why = outcome.kind === "timeout" ? `did not finish within ${timeoutMs / 1000} s` : "ended without a result";
    throw new Error(`checking ${opts.problem}: the harness ${why}\n${outcome.stderr.trim().split("\n").slice(-5).join("\n")}`);
  }
  return ProblemReportSchema.parse(outcome.document);
}
