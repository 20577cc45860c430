import type { LanguageModel, Usage } from "../llm/types.js";
import type { RunDir } from "../runs/run-dir.js";
import type { Device, VerifyFn } from "./deps.js";
import type { SyntaxChecker } from "./syntax-check.js";
import type { ProblemFacts } from "./problem-facts.js";

/** Why the run's signal was aborted; workers read it to name their outcome. */
export type StopReason =
  | { kind: "winner"; worker: number; round: number }
  | { kind: "wall-time" }
  | { kind: "external" };

/** What one verified-or-not attempt left behind, for duplicate detection across the run. */
export interface SeenCandidate {
  worker: number;
  round: number;
  /** one-line outcome; null while its verification is still running */
  summary: string | null;
}

/** Everything the workers of one run share. Built by runKernelAgent, read by runWorker. */
export interface RunContext {
  run: RunDir;
  model: LanguageModel;
  verify: VerifyFn;
  checkSyntax: SyntaxChecker;
  problemPath: string;
  problemSource: string;
  problemName: string;
  form: "module" | "function";
  entry: string;
  device: Device;
  trials?: number;
  sets?: Record<string, string>;
  verifyTimeoutMs?: number;
  rounds: number;
  historySize: number;
  maxOutputTokens?: number;
  /** aborted when the run stops (a winner, the wall-time budget, the caller) */
  signal: AbortSignal;
  seen: Map<string, SeenCandidate>;
  /** adds a reply's usage; false once the token budget is spent (no new requests then) */
  addUsage(usage: Usage): void;
  tokensLeft(): boolean;
  /** claims the win; true for the first caller only, which then stops every other worker */
  claimWin(worker: number, round: number): boolean;
  /** throttle for streamed-progress events, in ms */
  progressIntervalMs: number;
  /** device, sizes and mode found by checking the problem once; null when it was not checked */
  facts: ProblemFacts | null;
}
