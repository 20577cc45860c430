import { readFileSync } from "node:fs";
import { killTree } from "../harness/kill-tree.js";
import type { Interrupted } from "./local-queue.js";

/**
 * Ends the processes a killed suite left running (its `tritonize run` children are detached, so a
 * SIGKILL of the suite alone does not reach them). A pid is killed only while its command line
 * still names the attempt's folder: a pid reused by an unrelated process is left alone.
 */
export function reapOrphans(
  interrupted: Interrupted[],
  attemptDir: (id: string, attempt: number) => string,
  kill: (pid: number) => void = killTree,
): number[] {
  const killed: number[] = [];
  for (const a of interrupted) {
    const dir = attemptDir(a.id, a.attempt);
    for (const pid of a.pids) {
      if (commandLine(pid).includes(dir)) {
        kill(pid);
        killed.push(pid);
      }
    }
  }
  return killed;
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
  } catch {
    return ""; // gone, or not Linux
  }
}
