import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Verdict } from "../harness/verdict.js";
import type { ChildCall, ChildOutcome, SpawnCli } from "./spawn-cli.js";

/** Test helpers for the suite: tiny problem files and a scripted stand-in for `tritonize run`/`bench`. */

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `tritonize-${prefix}-`));
}

/** Writes n problem files (KernelBench shape, never imported by scripted tests) into a new folder. */
export function problemFolder(names: string[]): string {
  const dir = join(tempDir("suite-problems"), "level1");
  mkdirSync(dir, { recursive: true });
  for (const name of names) {
    writeFileSync(join(dir, name), "import torch\nclass Model(torch.nn.Module):\n    pass\n\ndef get_inputs():\n    return []\n\ndef get_init_inputs():\n    return []\n");
  }
  return dir;
}

export function verdictDoc(over: Partial<Verdict> = {}): Verdict {
  return {
    schema: "tritonize.verdict/1", ok: true, stage: "passed", code: null, message: "ACCEPTED", details: {}, line: null,
    traceback: null, trials: [], maxAbsErr: 0, maxRelErr: 0, worstIndex: null, launches: 1, atenOps: [], degenerate: false,
    tolerance: null, device: "cuda", interpreter: false, problem: "p.py", candidate: "c.py", durationMs: 1, timings: null,
    ...over,
  };
}

export interface ScriptedCall {
  command: string;
  problem: string;
  gpu: string | undefined;
  args: string[];
}

/** What the script answers for one call: stdout and exit status, after `delayMs`. */
export type Script = (call: ScriptedCall) => { stdout: string; exitCode: number; delayMs?: number; hang?: boolean };

/**
 * A SpawnCli that answers from a script: it records every call and the most calls in flight per
 * GPU (CUDA_VISIBLE_DEVICES), and honours timeouts and aborts like the real one.
 */
export function scriptedSpawn(script: Script) {
  const calls: ScriptedCall[] = [];
  const inFlight = new Map<string, number>();
  const maxInFlight = new Map<string, number>();
  /** bench calls that started while another call ran on the same GPU */
  const sharedBenches: ScriptedCall[] = [];
  let pid = 1000;
  const spawn: SpawnCli = async (_command, call: ChildCall): Promise<ChildOutcome> => {
    const c: ScriptedCall = { command: call.args[0]!, problem: call.args[call.args.indexOf("--problem") + 1]!, gpu: call.env.CUDA_VISIBLE_DEVICES, args: call.args };
    calls.push(c);
    await call.onPid?.(pid++);
    const key = c.gpu ?? "cpu";
    inFlight.set(key, (inFlight.get(key) ?? 0) + 1);
    maxInFlight.set(key, Math.max(maxInFlight.get(key) ?? 0, inFlight.get(key)!));
    if (c.command === "bench" && !c.args.includes("--cache-only") && inFlight.get(key)! > 1) sharedBenches.push(c);
    const answer = script(c);
    try {
      const timers: NodeJS.Timeout[] = [];
      const ended = await new Promise<"done" | "timeout" | "abort">((resolve) => {
        if (!answer.hang) timers.push(setTimeout(() => resolve("done"), answer.delayMs ?? 5));
        timers.push(setTimeout(() => resolve("timeout"), call.timeoutMs));
        call.signal?.addEventListener("abort", () => resolve("abort"), { once: true });
        if (call.signal?.aborted) resolve("abort");
      }).finally(() => timers.forEach(clearTimeout));
      if (ended === "done") return { exitCode: answer.exitCode, signal: null, stdout: answer.stdout, timedOut: false, aborted: false };
      return { exitCode: null, signal: "SIGKILL", stdout: "", timedOut: ended === "timeout", aborted: ended === "abort" };
    } finally {
      inFlight.set(key, inFlight.get(key)! - 1);
    }
  };
  return { spawn, calls, maxInFlight, sharedBenches };
}

/** A `run --json` document as the run command writes it. */
export function runDoc(call: ScriptedCall, over: Record<string, unknown> = {}): string {
  const out = call.args[call.args.indexOf("--out") + 1]!;
  const runDir = join(out, "run-1");
  return JSON.stringify({
    schema: "tritonize.run/1", ok: true, problem: call.problem, runDir, author: "offline", modelNew: join(runDir, "model_new.py"),
    status: "verified", message: "ACCEPTED", kernels: 2, steps: [], verdict: verdictDoc(), extraField: "tolerated", ...over,
  });
}
