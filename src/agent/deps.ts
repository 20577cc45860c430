import type { Verdict } from "../harness/verdict.js";
import type { Device, VerifyOptions } from "../harness/verify.js";

/**
 * What the agent needs from the harness, as function types: the real ones (src/harness) are
 * passed in by the CLI, scripted ones by tests. The shapes follow the harness's calls.
 */

export type { Device } from "../harness/verify.js";
/** The harness's own verify options: the agent passes them through unchanged. */
export type VerifyRequest = VerifyOptions;
export type VerifyFn = (request: VerifyRequest) => Promise<Verdict>;

export interface CheckProblemRequest {
  problem: string;
  sets?: Record<string, string>;
  device?: Device;
  signal?: AbortSignal;
}
/** The outcome of loading a problem and running it once; extra fields (shapes, dtypes) are kept. */
export interface ProblemCheck {
  ok: boolean;
  code?: string | null;
  message: string;
  [field: string]: unknown;
}
export type CheckProblemFn = (request: CheckProblemRequest) => Promise<ProblemCheck>;
