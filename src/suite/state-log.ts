import { appendFileSync, existsSync, readFileSync, truncateSync } from "node:fs";
import { z } from "zod";
import { JobResultSchema } from "./entry.js";

/**
 * The local queue's durable state: `state.jsonl`, one record per change, appended synchronously
 * before the change is acted on. A SIGKILL can tear only the last line, which reading drops.
 */
const WorkerSchema = z.object({ host: z.string(), slot: z.number().int(), gpu: z.number().int().nullable() });

const base = { time: z.string() };
export const StateRecordSchema = z.discriminatedUnion("kind", [
  z.object({ ...base, kind: z.literal("job"), id: z.string(), problem: z.string(), sets: z.record(z.string(), z.string()) }),
  z.object({ ...base, kind: z.literal("attempt-started"), id: z.string(), attempt: z.number().int(), worker: WorkerSchema }),
  z.object({ ...base, kind: z.literal("attempt-pid"), id: z.string(), attempt: z.number().int(), pid: z.number().int() }),
  z.object({ ...base, kind: z.literal("attempt-finished"), id: z.string(), attempt: z.number().int(), result: JobResultSchema }),
  /** an attempt that will never finish: its suite was killed (found on resume) or aborted */
  z.object({ ...base, kind: z.literal("attempt-interrupted"), id: z.string(), attempt: z.number().int(), reason: z.string() }),
]);
export type StateRecord = z.infer<typeof StateRecordSchema>;
type Distribute<T> = T extends unknown ? Omit<T, "time"> : never;
export type NewStateRecord = Distribute<StateRecord>;

export function readStateLog(path: string): StateRecord[] {
  if (!existsSync(path)) return [];
  const lines = readFileSync(path, "utf8").split("\n");
  const out: StateRecord[] = [];
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    const last = i === lines.length - 1; // no newline after it: the write was cut off
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch (err) {
      if (last) return;
      throw new Error(`${path} line ${i + 1} is not JSON (${(err as Error).message}); the suite's state is damaged`);
    }
    const r = StateRecordSchema.safeParse(raw);
    if (!r.success) {
      const issue = r.error.issues[0];
      throw new Error(`${path} line ${i + 1} does not fit the state schema: ${issue?.path.join(".") || "(root)"}: ${issue?.message}`);
    }
    out.push(r.data);
  });
  return out;
}

export function appendState(path: string, record: NewStateRecord, now: () => Date): StateRecord {
  const full = StateRecordSchema.parse({ time: now().toISOString(), ...record });
  appendFileSync(path, JSON.stringify(full) + "\n");
  return full;
}

/** Cuts a torn last line (a write killed half-way) so the next append starts on a line of its own. */
export function repairTornTail(path: string): void {
  if (!existsSync(path)) return;
  const text = readFileSync(path);
  if (text.length === 0 || text[text.length - 1] === 0x0a) return;
  truncateSync(path, text.lastIndexOf(0x0a) + 1);
}
