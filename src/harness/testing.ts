import { readdirSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { projectRoot } from "./paths.js";

/** Paths the harness's tests share: the fixtures of the Python tests and the examples. */
export const fixture = (name: string): string => join(projectRoot(), "python", "tests", "fixtures", name);
export const example = (...parts: string[]): string => join(projectRoot(), "examples", ...parts);

/** Processes whose working directory is inside dir (a candidate's worker runs in its work dir). */
export function processesIn(dir: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/cwd`).startsWith(dir)) found.push(Number(entry));
    } catch {
      // gone, or not ours to read
    }
  }
  return found;
}
