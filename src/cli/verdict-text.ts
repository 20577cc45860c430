import { existsSync, readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { renderVerdict } from "../harness/render-verdict.js";
import type { Verdict } from "../harness/verdict.js";
import { EXIT, exitFor } from "./exit-codes.js";

/**
 * A harness verdict for the terminal, worded as what happened: a rejected candidate reads as a
 * rejection, while a problem that does not load, a bad --set or a missing GPU read as what they
 * are (the candidate was never judged), and a timeout in the interpreter says why and what to try.
 */
export function verdictText(v: Verdict, sets: Record<string, string> = {}): string {
  const status = exitFor(v);
  if (!v.ok && status !== EXIT.rejected) return `NOT RUN: ${notRunReason(status)}: ${v.message}`;
  const text = renderVerdict(v);
  const hint = v.code === "timeout" ? timeoutHint(v, sets) : null;
  return hint ? `${text}\n  ${hint}` : text;
}

function notRunReason(status: number): string {
  if (status === EXIT.usage) return "bad option";
  if (status === EXIT.needsGpu) return "this needs a CUDA GPU, and none is visible";
  if (status === EXIT.problemNotFound) return "input file missing";
  return "the problem itself failed, before any candidate ran";
}

/** On the CPU interpreter a timeout is usually honest work at sizes meant for a GPU. */
export function timeoutHint(v: Pick<Verdict, "interpreter" | "device" | "problem">, sets: Record<string, string>): string {
  const cpu = v.interpreter || v.device === "cpu";
  const small = smallSizes(v.problem);
  const flags = small ? Object.entries(small).map(([k, x]) => `--set ${k}=${x}`).join(" ") : "--set NAME=VALUE";
  const where = Object.keys(sets).length ? "even at the sizes given" : "at the problem's own sizes";
  const why = cpu
    ? `Triton's interpreter runs kernels on the CPU, thousands of times slower than a GPU, so honest work ${where} can take longer than the limit.`
    : "The candidate did not finish within the limit.";
  return `${why} Check at small sizes (${flags}) or give more time with --timeout SECONDS.`;
}

/** The small sizes an examples folder lists for this problem in its small.json, if any. */
function smallSizes(problem: string): Record<string, unknown> | null {
  const file = join(dirname(problem), "small.json");
  if (!existsSync(file)) return null;
  try {
    const all = JSON.parse(readFileSync(file, "utf8")) as Record<string, Record<string, unknown>>;
    return all[basename(problem)] ?? null;
  } catch {
    return null;
  }
}
