import type { JobResult } from "./entry.js";

/**
 * The suite's job queue. The suite knows jobs only through this interface, so the local
 * implementation (an append-only state log in the suite folder, `local-queue.ts`) can be replaced
 * by a shared broker (Redis with BullMQ, docs/suite.md) serving workers on many hosts.
 * The queue is the durable state: a finished job stays finished across restarts, and a claim that
 * never completed (its process was killed) is handed out again with the next attempt number.
 */
export interface JobSpec {
  id: string;
  problem: string;
  /** --set overrides for this problem (module constants) */
  sets: Record<string, string>;
}

/** Who claims: a worker slot of this host, with the GPU it is placed on (null: a CPU process). */
export interface WorkerRef {
  host: string;
  slot: number;
  gpu: number | null;
}

export interface Claim {
  job: JobSpec;
  /** 1 for the first try; each restart after an interruption counts up */
  attempt: number;
  worker: WorkerRef;
}

export interface JobSnapshot {
  job: JobSpec;
  state: "waiting" | "running" | "finished";
  attempts: number;
  result: JobResult | null;
  /** the worker of the latest attempt */
  worker: WorkerRef | null;
}

export interface SuiteQueue {
  /** Adds jobs; an id already known keeps its state (finished stays finished). */
  add(jobs: JobSpec[]): Promise<void>;
  /** The next job neither finished nor claimed, or null when none is left. */
  claim(worker: WorkerRef): Promise<Claim | null>;
  /** Notes a process working on a claim, so a later recovery can end it if it outlived us. */
  notePid(claim: Claim, pid: number): Promise<void>;
  /** Finishes a claim; refused for a claim that is no longer the job's current attempt. */
  complete(claim: Claim, result: JobResult): Promise<void>;
  /** Hands an unfinished claim back (abort): the job runs again, as a new attempt. */
  release(claim: Claim, reason: string): Promise<void>;
  snapshot(): Promise<JobSnapshot[]>;
  close(): Promise<void>;
}
