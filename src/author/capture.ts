import { runHarness } from "../harness/run-harness.js";
import { setArgs } from "../harness/verify.js";
import { parseCaptureDocument, type CaptureDocument } from "./graph.js";

export interface CaptureOptions {
  problem: string;
  sets?: Record<string, string>;
  timeoutMs?: number;
  signal?: AbortSignal;
  python?: string;
}

/** Runs `python -m tritonize_harness capture` and returns its typed document (success or why not). */
export async function captureGraph(opts: CaptureOptions): Promise<CaptureDocument> {
  const timeoutMs = opts.timeoutMs ?? 180_000;
  const outcome = await runHarness({
    args: ["capture", "--problem", opts.problem, ...setArgs(opts.sets)],
    timeoutMs,
    signal: opts.signal,
    python: opts.python,
  });
  if (outcome.kind === "document") return parseCaptureDocument(outcome.document, `capture ${opts.problem}`);
  const tail = outcome.stderr.trim().split("\n").slice(-3).join(" | ");
  return {
    schema: "tritonize.graph/1",
    ok: false,
    problem: opts.problem,
    code: outcome.kind === "timeout" ? "capture_timeout" : "capture_crashed",
    message:
      outcome.kind === "timeout"
        ? `graph capture did not finish within ${Math.round(timeoutMs / 1000)} s`
        : `graph capture ended without a document${tail ? `: ${tail}` : ""}`,
    line: null,
  };
}
