import { spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { descendants, killTree } from "./kill-tree.js";
import { harnessDir } from "./paths.js";
import { resolvePython } from "./python.js";

export interface HarnessCall {
  /** e.g. ["verify", "--problem", p, "--candidate", c] */
  args: string[];
  /** Wall-clock limit for the whole call; the process group is killed when it passes. */
  timeoutMs: number;
  signal?: AbortSignal;
  cwd?: string;
  python?: string;
  env?: NodeJS.ProcessEnv;
  /** Receives the harness's stderr as it arrives (progress, the problem's own prints). */
  onStderr?: (text: string) => void;
}

export type HarnessOutcome =
  | { kind: "document"; document: unknown; exitCode: number | null; stderr: string }
  | { kind: "timeout"; stderr: string }
  | { kind: "crashed"; exitCode: number | null; signal: string | null; stderr: string };

const STDERR_KEEP = 8000;
/** After an abort the harness gets this long to clean up its own folders before SIGKILL. */
const ABORT_GRACE_MS = 5000;

/**
 * Runs one harness command in its own process group and returns the JSON document it wrote to its
 * result file. The verdict is never read from stdout: the file is the contract.
 */
export async function runHarness(call: HarnessCall): Promise<HarnessOutcome> {
  call.signal?.throwIfAborted();
  const python = call.python ?? (await resolvePython(call.env));
  const dir = await mkdtemp(join(tmpdir(), "tritonize-harness-"));
  const resultFile = join(dir, "result.json");
  try {
    const env = call.env ?? process.env;
    const child = spawn(python, ["-m", "tritonize_harness", ...call.args, "--json", "--result-file", resultFile], {
      cwd: call.cwd,
      env: { ...env, PYTHONPATH: harnessDir(), PYTHONUNBUFFERED: "1" },
      detached: true, // own process group: a kill reaches the worker and anything it started
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (text: string) => {
      stderr = (stderr + text).slice(-STDERR_KEEP);
      call.onStderr?.(text);
    });
    let timedOut = false;
    const kill = () => child.pid !== undefined && killTree(child.pid);
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, call.timeoutMs);
    // An abort (the user's Ctrl-C) kills the candidate's processes at once and lets the harness
    // itself end on SIGINT, so it removes its temp folders; SIGKILL follows if it lingers.
    let graceTimer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      if (child.pid === undefined) return;
      for (const p of descendants(child.pid)) signalQuietly(p, "SIGKILL");
      signalQuietly(child.pid, "SIGINT");
      graceTimer = setTimeout(kill, ABORT_GRACE_MS);
    };
    call.signal?.addEventListener("abort", onAbort, { once: true });
    if (call.signal?.aborted) onAbort();
    const [exitCode, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
      child.once("error", reject);
      child.once("close", (code, sig) => resolve([code, sig]));
    }).finally(() => {
      clearTimeout(timer);
      clearTimeout(graceTimer);
      call.signal?.removeEventListener("abort", onAbort);
      kill(); // nothing of the call outlives it
    });
    if (signal !== null && child.pid !== undefined) await removeLeftovers(child.pid, env);
    call.signal?.throwIfAborted();
    if (timedOut) return { kind: "timeout", stderr };
    let text: string;
    try {
      text = await readFile(resultFile, "utf8");
    } catch {
      return { kind: "crashed", exitCode, signal, stderr };
    }
    return { kind: "document", document: JSON.parse(text), exitCode, stderr };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The work folders of a harness killed before its own clean-up ran (after the grace, or at the
 * time limit): verify.py names them `tritonize-verify-<its pid>-…` in its TMPDIR.
 */
async function removeLeftovers(pid: number, env: NodeJS.ProcessEnv): Promise<void> {
  const dir = env.TMPDIR || tmpdir();
  const prefix = `tritonize-verify-${pid}-`;
  const names = await readdir(dir).catch(() => [] as string[]);
  await Promise.all(names.filter((n) => n.startsWith(prefix)).map((n) => rm(join(dir, n), { recursive: true, force: true })));
}

function signalQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}
