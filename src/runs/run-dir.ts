import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { randomBytes } from "node:crypto";
import { RunEventSchema, type EventData, type PipelineStage, type RunEvent, type RunEventKind } from "./events.js";

/** Where a run's records go unless told otherwise. */
export const DEFAULT_RUNS_DIR = ".tritonize/runs";

export interface EventMeta {
  stage: PipelineStage;
  worker: number | null;
  round: number | null;
}

export type EventListener = (event: RunEvent) => void;

/**
 * One run's directory: `<out>/<run-id>/` with `events.jsonl`, `workers/w<k>/round-<r>/…` and
 * `result.json`. Events are appended synchronously as they happen, so a crash loses nothing
 * already reported; every file of a round is written when its content exists.
 */
export interface RunDir {
  readonly id: string;
  readonly dir: string;
  readonly eventsPath: string;
  emit<K extends RunEventKind>(kind: K, meta: EventMeta, data: EventData<K>): RunEvent;
  /** Adds a listener; returns the function that removes it. */
  subscribe(listener: EventListener): () => void;
  workerDir(worker: number): string;
  roundDir(worker: number, round: number): string;
  /** Writes a file of one round (prompt.md, reply.md, candidate.py, verdict.json); returns its path. */
  writeRoundFile(worker: number, round: number, name: string, text: string): string;
  /** Writes a file relative to the run directory; returns its path. */
  writeFile(relative: string, text: string): string;
  writeResult(doc: unknown): string;
}

export interface CreateRunDirOptions {
  /** Parent folder of run directories (default .tritonize/runs). */
  out?: string;
  /** Run id (default: UTC timestamp plus a short random suffix). */
  id?: string;
  now?: () => Date;
}

export function newRunId(now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return `${stamp}-${randomBytes(3).toString("hex")}`;
}

export function createRunDir(options: CreateRunDirOptions = {}): RunDir {
  const now = options.now ?? (() => new Date());
  const id = options.id ?? newRunId(now());
  const dir = resolve(options.out ?? DEFAULT_RUNS_DIR, id);
  mkdirSync(dir, { recursive: true });
  const eventsPath = join(dir, "events.jsonl");
  writeFileSync(eventsPath, "", { flag: "a" });
  const listeners = new Set<EventListener>();

  const workerDir = (worker: number) => join(dir, "workers", `w${worker}`);
  const roundDir = (worker: number, round: number) => join(workerDir(worker), `round-${round}`);

  return {
    id,
    dir,
    eventsPath,
    emit(kind, meta, data) {
      // Validated on the way out so a malformed event fails where it is made, not in a reader.
      const event = RunEventSchema.parse({ time: now().toISOString(), ...meta, kind, data });
      appendFileSync(eventsPath, JSON.stringify(event) + "\n");
      for (const listener of listeners) {
        try {
          listener(event);
        } catch (err) {
          // A broken view must not stop the run; the event is already on disk.
          process.stderr.write(`tritonize: an event listener failed on ${kind}: ${(err as Error).message}\n`);
        }
      }
      return event;
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    workerDir,
    roundDir,
    writeRoundFile(worker, round, name, text) {
      const d = roundDir(worker, round);
      mkdirSync(d, { recursive: true });
      const path = join(d, name);
      writeFileSync(path, text);
      return path;
    },
    writeFile(relative, text) {
      const path = join(dir, relative);
      mkdirSync(join(path, ".."), { recursive: true });
      writeFileSync(path, text);
      return path;
    },
    writeResult(doc) {
      const path = join(dir, "result.json");
      writeFileSync(path, JSON.stringify(doc, null, 2) + "\n");
      return path;
    },
  };
}
