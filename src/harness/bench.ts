import { runHarness } from "./run-harness.js";
import { parseVerdict, type Verdict } from "./verdict.js";
import { harnessFailureVerdict, setArgs, type Device } from "./verify.js";

export interface BenchOptions {
  problem: string;
  candidate: string;
  device?: Device;
  /** timed iterations per implementation */
  iterations?: number;
  warmup?: number;
  compile?: boolean;
  sets?: Record<string, string>;
  timeoutMs?: number;
  signal?: AbortSignal;
  python?: string;
}

/** Verifies, times (candidate, eager, torch.compile) and re-checks; `timings` is set when ok. */
export async function benchCandidate(opts: BenchOptions): Promise<Verdict> {
  const timeoutMs = opts.timeoutMs ?? 600_000;
  const outcome = await runHarness({
    args: [
      "bench",
      "--problem", opts.problem,
      "--candidate", opts.candidate,
      "--device", opts.device ?? "auto",
      "--trials", String(opts.iterations ?? 100),
      "--warmup", String(opts.warmup ?? 10),
      "--timeout", String(timeoutMs / 1000),
      ...(opts.compile === false ? ["--no-compile"] : []),
      ...setArgs(opts.sets),
    ],
    timeoutMs: timeoutMs + 60_000,
    signal: opts.signal,
    python: opts.python,
  });
  if (outcome.kind === "document") return parseVerdict(outcome.document, `bench ${opts.candidate}`);
  return harnessFailureVerdict(opts, outcome.kind === "timeout" ? "timeout" : "crashed", outcome.stderr, timeoutMs);
}
