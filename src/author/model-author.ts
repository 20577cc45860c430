import { readFileSync } from "node:fs";
import { join } from "node:path";
import { runKernelAgent } from "../agent/agent.js";
import { checkProblem } from "../harness/check-problem.js";
import { verifyCandidate } from "../harness/verify.js";
import type { TritonizeConfig } from "../config/config.js";
import { createModel } from "../config/create-model.js";
import type { ModelAuthorHook } from "./run-offline.js";

/**
 * The model-driven author behind `tritonize run --author model|auto`: the kernel agent (N workers,
 * verify-and-refine) writes a ModelNew for the whole problem; its run directory is placed inside
 * the run's own. The run then verifies the module it returns like any other candidate.
 */
export function kernelAgentAuthor(config: TritonizeConfig, opts: { device?: "auto" | "cuda" | "cpu"; trials?: number; sets?: Record<string, string> }): ModelAuthorHook {
  return async ({ problem, runDir, signal }) => {
    const model = createModel(config, "kernel", { record: join(runDir, "agent", "requests") });
    const result = await runKernelAgent({
      problem,
      model,
      verify: verifyCandidate,
      checkProblem,
      workers: config.workers,
      rounds: config.rounds,
      device: opts.device,
      trials: opts.trials,
      sets: opts.sets,
      out: runDir,
      runId: "agent",
      form: "module",
      signal,
    });
    if (result.status !== "verified" || !result.winner) {
      return { ok: false, message: `the kernel agent did not verify a kernel: ${result.message}` };
    }
    return { ok: true, code: readFileSync(result.winner.kernelPath, "utf8") };
  };
}
