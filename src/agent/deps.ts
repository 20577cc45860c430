import type { Verdict } from "../harness/verdict.js";

/**
 * What the agent needs from the harness, as function types: the real ones (src/harness) are
 * passed in by the CLI, scripted ones by tests. The shapes follow the harness's calls.
 */

export type Device = "auto" | "cuda" | "cpu";

export interface VerifyRequest {
  /** path of the reference problem file */
  problem: string;
  /** path of the candidate file */
  candidate: string;
  device?: Device;
  trials?: number;
  /** overrides of the problem's module constants (e.g. smaller sizes on CPU) */
  sets?: Record<string, string>;
  timeoutMs?: number;
  workDir?: string;
  /** aborting it kills the verification's whole process group */
  signal?: AbortSignal;
}
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
