import { existsSync } from "node:fs";
import { ServerGone, sharedServer } from "./harness-server.js";
import { runHarness } from "./run-harness.js";
import { parseVerdict, type Verdict } from "./verdict.js";

export type Device = "auto" | "cuda" | "cpu";

export interface VerifyOptions {
  problem: string;
  candidate: string;
  device?: Device;
  trials?: number;
  /** Module constants of the problem to override, e.g. { batch_size: "8" }. */
  sets?: Record<string, string>;
  /** Wall-clock limit for the candidate (default 120 s). */
  timeoutMs?: number;
  /** Work directory of the candidate's process (default: a fresh temporary one). Given, the
   * candidate runs in a process started for it there (the one-shot path), not a pool's. */
  workDir?: string;
  /** Base seed of the protocol (default 42): Model, ModelNew and the trials' inputs follow it. */
  seed?: number;
  /** Scalar reads back to Python allowed per call, for a problem whose forward branches on tensor values. */
  controlReads?: number;
  signal?: AbortSignal;
  python?: string;
  onStderr?: (text: string) => void;
}

export const DEFAULT_VERIFY_TIMEOUT_MS = 120_000;
/** The harness enforces the candidate's limit itself; this margin covers its own start-up. */
const SUPERVISOR_MARGIN_MS = 60_000;

export function setArgs(sets: Record<string, string> | undefined): string[] {
  return Object.entries(sets ?? {}).flatMap(([k, v]) => ["--set", `${k}=${v}`]);
}

/**
 * Verifies a candidate against a problem. Resolves with a verdict for any candidate, good or bad.
 * Warm: through this process's harness server (ready candidate processes, references computed
 * once), unless a work directory is given or TRITONIZE_WARM=0.
 */
export async function verifyCandidate(opts: VerifyOptions): Promise<Verdict> {
  if (opts.workDir || process.env.TRITONIZE_WARM === "0") return verifyCandidateOnce(opts);
  const timeoutMs = opts.timeoutMs ?? DEFAULT_VERIFY_TIMEOUT_MS;
  const server = await sharedServer({ python: opts.python });
  // The server keeps the candidate's deadline; admission may wait up to as long again before it.
  const backstopMs = 2 * timeoutMs + SUPERVISOR_MARGIN_MS;
  let timer: NodeJS.Timeout | undefined;
  const backstop = new Promise<"timeout">((res) => (timer = setTimeout(() => res("timeout"), backstopMs)));
  try {
    const outcome = await Promise.race([server.verify(opts, timeoutMs), backstop]);
    if (outcome !== "timeout") return outcome.verdict;
    server.close(); // stuck: the next verification starts a fresh server
    return harnessFailureVerdict(opts, "timeout", server.stderrTail, backstopMs);
  } catch (e) {
    if (e instanceof ServerGone) return harnessFailureVerdict(opts, "crashed", e.stderr, timeoutMs);
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Starts this process's harness server and its ready candidate processes now, for verifications
 * that come later (`tritonize run` captures the graph meanwhile): torch's import and the pool's
 * process starts, seconds each on a GPU host, are then paid beside the capture. A start that
 * fails is met again, and reported, by the first verification.
 */
export function prewarmHarness(device: Device): void {
  if (process.env.TRITONIZE_WARM === "0") return;
  sharedServer({ warm: [device === "auto" ? likelyDevice() : device] }).catch(() => undefined);
}

/** The device `auto` most likely resolves to: a GPU when the driver is there and not hidden. */
function likelyDevice(): "cuda" | "cpu" {
  const hidden = process.env.CUDA_VISIBLE_DEVICES === "" || process.env.CUDA_VISIBLE_DEVICES === "-1";
  return !hidden && existsSync("/dev/nvidiactl") ? "cuda" : "cpu";
}

/** One harness process for one candidate, started and ended here: `tritonize verify`'s path. */
export async function verifyCandidateOnce(opts: VerifyOptions): Promise<Verdict> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_VERIFY_TIMEOUT_MS;
  const args = [
    "verify",
    "--problem", opts.problem,
    "--candidate", opts.candidate,
    "--device", opts.device ?? "auto",
    "--trials", String(opts.trials ?? 5),
    "--timeout", String(timeoutMs / 1000),
    ...setArgs(opts.sets),
    ...(opts.workDir ? ["--workdir", opts.workDir] : []),
    ...(opts.seed !== undefined ? ["--seed", String(opts.seed)] : []),
    ...(opts.controlReads ? ["--control-reads", String(opts.controlReads)] : []),
  ];
  const outcome = await runHarness({
    args,
    timeoutMs: timeoutMs + SUPERVISOR_MARGIN_MS,
    signal: opts.signal,
    python: opts.python,
    onStderr: opts.onStderr,
  });
  if (outcome.kind === "document") return parseVerdict(outcome.document, `verify ${opts.candidate}`);
  return harnessFailureVerdict(opts, outcome.kind === "timeout" ? "timeout" : "crashed", outcome.stderr, timeoutMs);
}

/** The one verdict made on this side: the harness itself could not produce one. */
export function harnessFailureVerdict(
  opts: { problem: string; candidate: string; device?: Device },
  kind: "timeout" | "crashed",
  stderr: string,
  timeoutMs: number,
): Verdict {
  const tail = stderr.trim().split("\n").slice(-8).join("\n");
  const message =
    kind === "timeout"
      ? `verification did not finish within ${Math.round(timeoutMs / 1000)} s; the whole process group was killed`
      : `the harness ended without a verdict${tail ? `: ${tail.split("\n").pop()}` : ""}`;
  return parseVerdict(
    {
      schema: "tritonize.verdict/1",
      ok: false,
      stage: kind === "timeout" ? "timeout" : "runtime",
      code: kind === "timeout" ? "timeout" : "harness_crashed",
      message,
      details: { stderr: tail },
      line: null,
      traceback: null,
      trials: [],
      maxAbsErr: null,
      maxRelErr: null,
      worstIndex: null,
      launches: 0,
      atenOps: [],
      degenerate: false,
      tolerance: null,
      device: opts.device ?? "auto",
      interpreter: false,
      problem: opts.problem,
      candidate: opts.candidate,
      durationMs: timeoutMs,
    },
    "harness failure",
  );
}
