import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import type { Verdict } from "../../harness/verdict.js";
import type { VerifyFn, VerifyRequest } from "../deps.js";

/**
 * Test double for the harness's verifier: the verdict for a candidate comes from a script
 * (usually keyed on a marker in the candidate's text). It can hold a real child process for the
 * duration of a verification, in its own process group, killed when the signal aborts, exactly as
 * the real verifier behaves; tests then check that no such process is left. Not for production use.
 */

export function makeVerdict(partial: Partial<Verdict> & Pick<Verdict, "ok" | "stage">): Verdict {
  return {
    schema: "tritonize.verdict/1",
    code: partial.ok ? null : "scripted",
    message: partial.ok ? "passed" : `failed at ${partial.stage}`,
    details: {},
    line: null,
    traceback: null,
    trials: [],
    maxAbsErr: null,
    maxRelErr: null,
    worstIndex: null,
    launches: partial.ok ? 1 : 0,
    atenOps: [],
    degenerate: false,
    tolerance: { atol: 1e-4, rtol: 1e-4 },
    device: "cpu",
    interpreter: true,
    problem: "problem.py",
    candidate: "candidate.py",
    durationMs: 1,
    ...partial,
  };
}

export interface ScriptedVerdict {
  verdict: Verdict;
  /** how long the verification takes; a real process lives that long */
  delayMs?: number;
}

export interface ScriptedVerifier {
  verify: VerifyFn;
  calls: VerifyRequest[];
  /** pids of the processes verifications started (each the leader of its own group) */
  pids: number[];
}

function abortError(): Error {
  const e = new Error("verification aborted");
  e.name = "AbortError";
  return e;
}

export function scriptedVerifier(script: (code: string, request: VerifyRequest) => ScriptedVerdict): ScriptedVerifier {
  const calls: VerifyRequest[] = [];
  const pids: number[] = [];
  const verify: VerifyFn = (request) => {
    calls.push(request);
    const code = readFileSync(request.candidate, "utf8");
    const { verdict, delayMs = 0 } = script(code, request);
    return new Promise<Verdict>((resolveVerdict, rejectVerdict) => {
      if (request.signal?.aborted) return rejectVerdict(abortError());
      // A real process stands in for the harness run, so cancellation is observable from outside.
      const child = spawn("sleep", [String(Math.max(0, delayMs) / 1000)], {
        detached: true,
        stdio: "ignore",
      });
      if (child.pid !== undefined) pids.push(child.pid);
      const onAbort = () => {
        try {
          if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
        } catch {
          /* already gone */
        }
      };
      request.signal?.addEventListener("abort", onAbort, { once: true });
      child.on("exit", () => {
        request.signal?.removeEventListener("abort", onAbort);
        if (request.signal?.aborted) rejectVerdict(abortError());
        else resolveVerdict(verdict);
      });
    });
  };
  return { verify, calls, pids };
}

/** True while a process with this pid exists. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
