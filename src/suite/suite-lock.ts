import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SuiteInputError } from "./problems.js";

/** One suite process per folder: `suite.lock` holds its pid; a lock whose process is gone is stale. */
export function takeLock(dir: string, pid: number = process.pid): () => void {
  const path = join(dir, "suite.lock");
  if (existsSync(path)) {
    const holder = Number(readFileSync(path, "utf8").trim());
    if (Number.isInteger(holder) && holder !== pid && alive(holder)) {
      throw new SuiteInputError(`another suite (pid ${holder}) is running in ${dir}; wait for it or stop it first`);
    }
  }
  writeFileSync(path, `${pid}\n`);
  return () => rmSync(path, { force: true });
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
