import { readdirSync, readFileSync } from "node:fs";

/** Live descendants of pid, read from /proc (a process that left the group is still found). */
export function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  let entries: string[] = [];
  try {
    entries = readdirSync("/proc");
  } catch {
    return []; // not Linux: the process group kill has to do
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(entry));
      children.set(ppid, list);
    } catch {
      // the process ended while we looked
    }
  }
  const out: number[] = [];
  const todo = [pid];
  while (todo.length) {
    for (const child of children.get(todo.pop()!) ?? []) {
      out.push(child);
      todo.push(child);
    }
  }
  return out;
}

/** SIGKILL a process group leader, its group, and every descendant. */
export function killTree(pid: number): void {
  const all = descendants(pid);
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // group already gone
  }
  for (const p of [pid, ...all]) {
    try {
      process.kill(p, "SIGKILL");
    } catch {
      // already gone
    }
  }
}
