import { spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { killTree } from "../harness/kill-tree.js";

export interface ChildCall {
  args: string[];
  env: NodeJS.ProcessEnv;
  /** stderr goes here, whole (the problem's prints, the harness's progress) */
  logFile: string;
  timeoutMs: number;
  signal?: AbortSignal;
  /** called once the child exists, before it can have done anything worth recording */
  onPid?: (pid: number) => void | Promise<void>;
}

export interface ChildOutcome {
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  timedOut: boolean;
  aborted: boolean;
}

/** Starts one `tritonize …` process; `command` is the CLI's argv prefix ([node, dist/tritonize.mjs]). */
export type SpawnCli = (command: string[], call: ChildCall) => Promise<ChildOutcome>;

/**
 * Runs a child in its own process group (a crash or a hang of one problem stays inside it) and
 * kills its whole tree on timeout, on abort, and when it ends (nothing of it outlives the call).
 */
export const spawnCli: SpawnCli = async (command, call) => {
  // a job that waited (for its GPU, or behind a run) while the suite was stopped starts nothing:
  // an already-aborted signal never fires its listener, so such a child would run to its end
  if (call.signal?.aborted) return { exitCode: null, signal: null, stdout: "", timedOut: false, aborted: true };
  const log = createWriteStream(call.logFile, { flags: "a" });
  const child = spawn(command[0]!, [...command.slice(1), ...call.args], {
    env: call.env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  child.stdout!.setEncoding("utf8").on("data", (t: string) => (stdout += t));
  child.stderr!.pipe(log);
  let timedOut = false;
  const kill = () => child.pid !== undefined && killTree(child.pid);
  const timer = setTimeout(() => {
    timedOut = true;
    kill();
  }, call.timeoutMs);
  call.signal?.addEventListener("abort", kill, { once: true });
  if (call.signal?.aborted) kill();
  try {
    if (child.pid !== undefined) await call.onPid?.(child.pid);
    const [exitCode, signal] = await new Promise<[number | null, string | null]>((resolve, reject) => {
      child.once("error", reject);
      child.once("close", (code, sig) => resolve([code, sig]));
    });
    return { exitCode, signal, stdout, timedOut, aborted: call.signal?.aborted ?? false };
  } finally {
    clearTimeout(timer);
    call.signal?.removeEventListener("abort", kill);
    kill();
    await new Promise((r) => log.end(r));
  }
};
