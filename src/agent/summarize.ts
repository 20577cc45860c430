import type { Budget, RunStatus } from "../runs/events.js";
import type { AttemptRef } from "./result.js";
import type { Attempt, WorkerReport } from "./worker.js";

/**
 * Turns the workers' reports into the parts of the result a person reads when nothing passed:
 * the best attempt, how often each failure stage occurred, the status and its sentence.
 */

/** How far an attempt got: later stages are closer to a working kernel. */
const PROGRESS: Record<string, number> = {
  duplicate: -1,
  "no-code": 0,
  truncated: 0,
  syntax: 1,
  "missing-entry": 1,
  load: 2,
  static: 3,
  compile: 4,
  runtime: 5,
  timeout: 5,
  integrity: 6,
  correctness: 7,
  passed: 8,
};

export function bestAttempt(attempts: Attempt[]): AttemptRef | null {
  let best: Attempt | null = null;
  for (const a of attempts) {
    if (a.stage === "duplicate") continue;
    if (best === null) {
      best = a;
      continue;
    }
    const pa = PROGRESS[a.stage] ?? 0;
    const pb = PROGRESS[best.stage] ?? 0;
    const closer =
      pa > pb ||
      (pa === pb && a.maxAbsErr !== null && (best.maxAbsErr === null || a.maxAbsErr < best.maxAbsErr));
    if (closer) best = a;
  }
  if (!best) return null;
  const { worker, round, stage, summary, candidatePath, verdictPath } = best;
  return { worker, round, stage, summary, candidatePath, verdictPath };
}

export function failureCounts(attempts: Attempt[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const a of attempts) {
    if (a.stage === "passed" || a.stage === "duplicate") continue;
    counts[a.stage] = (counts[a.stage] ?? 0) + 1;
  }
  return counts;
}

export function mostCommon(counts: Record<string, number>): string | null {
  let top: string | null = null;
  for (const [stage, n] of Object.entries(counts)) if (top === null || n > counts[top]!) top = stage;
  return top;
}

export interface Conclusion {
  status: RunStatus;
  exhausted: Budget | null;
  message: string;
}

export function conclude(opts: {
  reports: WorkerReport[];
  winner: { worker: number; round: number } | null;
  stoppedBy: "wall-time" | "external" | null;
  tokensSpent: boolean;
  best: AttemptRef | null;
  counts: Record<string, number>;
  errors: string[];
  rounds: number;
}): Conclusion {
  const { reports, winner, best, counts, errors } = opts;
  if (winner) {
    return {
      status: "verified",
      exhausted: null,
      message: `Verified: worker ${winner.worker}'s round-${winner.round} candidate passed every check.`,
    };
  }
  const total = Object.values(counts).reduce((s, n) => s + n, 0);
  const common = mostCommon(counts);
  const bestText = best
    ? ` Best attempt: worker ${best.worker} round ${best.round} (${best.summary})${best.candidatePath ? `, ${best.candidatePath}` : ""}.`
    : "";
  const commonText = common ? ` Most common failure: ${common} (${counts[common]} of ${total}).` : "";
  const errorText = errors.length > 0 ? ` Errors: ${errors.join(" | ")}` : "";
  if (opts.stoppedBy === "external") {
    return { status: "aborted", exhausted: null, message: `Stopped before any candidate passed.${bestText}${commonText}${errorText}` };
  }
  const outcomes = reports.map((r) => r.outcome);
  let exhausted: Budget | null = null;
  if (opts.stoppedBy === "wall-time") exhausted = "wall-time";
  else if (opts.tokensSpent && outcomes.includes("budget-exhausted")) exhausted = "tokens";
  else if (outcomes.includes("rounds-exhausted")) exhausted = "rounds";
  if (exhausted) {
    const what =
      exhausted === "wall-time"
        ? "the wall-time budget ran out"
        : exhausted === "tokens"
          ? "the token budget ran out"
          : `every worker used its ${opts.rounds} rounds`;
    return {
      status: "budget-exhausted",
      exhausted,
      message: `No kernel verified: ${what}.${bestText}${commonText}${errorText}`,
    };
  }
  if (outcomes.length > 0 && outcomes.every((o) => o === "provider-error")) {
    return { status: "provider-error", exhausted: null, message: `No kernel verified: the model provider failed.${errorText}` };
  }
  return { status: "failed", exhausted: null, message: `No kernel verified.${bestText}${commonText}${errorText}` };
}
