import { resolve } from "node:path";
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

/**
 * A capture run once per problem, sizes and Python within this process: the route decision and
 * the direct route then read the same graph (a capture at KernelBench's sizes takes tens of
 * seconds on a GPU host). A capture that timed out, crashed or was cut short is not kept.
 */
export function captureOnce(capture: (o: CaptureOptions) => Promise<CaptureDocument> = captureGraph): (o: CaptureOptions) => Promise<CaptureDocument> {
  const kept = new Map<string, Promise<CaptureDocument>>();
  return (o) => {
    const key = JSON.stringify([resolve(o.problem), o.sets ?? {}, o.python ?? null]);
    const known = kept.get(key);
    if (known) return known;
    const fresh = capture(o);
    kept.set(key, fresh);
    const forget = () => kept.delete(key);
    fresh.then((doc) => {
      if (o.signal?.aborted || (!doc.ok && (doc.code === "capture_timeout" || doc.code === "capture_crashed"))) forget();
    }, forget);
    return fresh;
  };
}

