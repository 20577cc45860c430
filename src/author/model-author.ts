import { readFileSync } from "node:fs";
import { join } from "node:path";
import { runKernelAgent } from "../agent/agent.js";
import { checkProblem } from "../harness/check-problem.js";
import { parseVerdict } from "../harness/verdict.js";
import { verifyCandidate } from "../harness/verify.js";
import type { TritonizeConfig } from "../config/config.js";
import { createModel } from "../config/create-model.js";
import type { EventListener } from "../runs/run-dir.js";
import type { ModelAuthorHook } from "./run-offline.js";

export interface KernelAgentAuthorOptions {
  device?: "auto" | "cuda" | "cpu";
  trials?: number;
  sets?: Record<string, string>;
  /** wall-clock limit of one verification, ms */
  verifyTimeoutMs?: number;
  /** wall-time budget of the agent, ms (default: the agent's) */
  wallTimeMs?: number;
  /** the agent's events as they happen (a progress view) */
  onEvent?: EventListener;
}

/**
 * The model-driven author behind `tritonize run --author model|auto`: the kernel agent (N workers,
 * verify-and-refine) writes a ModelNew for the whole problem; its run directory is placed inside
 * the run's own. The agent verifies with the run's own problem, sizes, device and trials, so its
 * verdict on the deliverable is returned and the run does not verify the same file again.
 */
export function kernelAgentAuthor(config: TritonizeConfig, opts: KernelAgentAuthorOptions): ModelAuthorHook {
  return async ({ problem, runDir, signal }) => {
    const model = createModel(config, "kernel", { record: join(runDir, "agent", "requests") });
    const result = await runKernelAgent({
      problem,
      model,
      verify: verifyCandidate,
      checkProblem,
      workers: config.workers,
      rounds: config.rounds,
      wallTimeMs: opts.wallTimeMs,
      device: opts.device,
      trials: opts.trials,
      sets: opts.sets,
      verifyTimeoutMs: opts.verifyTimeoutMs,
      out: runDir,
      runId: "agent",
      form: "module",
      signal,
      onEvent: opts.onEvent,
    });
    if (result.status !== "verified" || !result.winner) {
      return { ok: false, message: `the kernel agent did not verify a kernel: ${result.message}`, problemCode: result.problemCode };
    }
    const code = readFileSync(result.winner.kernelPath, "utf8");
    const verdict = parseVerdict(JSON.parse(readFileSync(result.winner.kernelVerdictPath, "utf8")), "the kernel agent's verdict");
    return { ok: true, code, verdict };
  };
}
