import { join } from "node:path";
import type { JobResult } from "./entry.js";
import type { Claim, JobSnapshot, JobSpec, SuiteQueue, WorkerRef } from "./queue.js";
import { appendState, readStateLog, repairTornTail, type NewStateRecord, type StateRecord } from "./state-log.js";

interface JobState {
  job: JobSpec;
  attempts: number;
  running: boolean;
  worker: WorkerRef | null;
  result: JobResult | null;
  /** processes noted for the current attempt */
  pids: number[];
}

/** An attempt that was running when its suite died: it is marked interrupted and runs again. */
export interface Interrupted {
  id: string;
  attempt: number;
  pids: number[];
}

export interface LocalQueue extends SuiteQueue {
  readonly path: string;
  /** attempts found unfinished when the queue was opened (a killed suite) */
  readonly interrupted: Interrupted[];
}

/** The queue of one host: the state log `<dir>/state.jsonl`, folded into memory on open. */
export function openLocalQueue(dir: string, now: () => Date = () => new Date()): LocalQueue {
  const path = join(dir, "state.jsonl");
  repairTornTail(path);
  const jobs = new Map<string, JobState>();
  for (const record of readStateLog(path)) apply(jobs, record);
  const write = (record: NewStateRecord) => apply(jobs, appendState(path, record, now));

  const interrupted: Interrupted[] = [];
  for (const s of jobs.values()) {
    if (!s.running) continue;
    interrupted.push({ id: s.job.id, attempt: s.attempts, pids: s.pids });
    write({ kind: "attempt-interrupted", id: s.job.id, attempt: s.attempts, reason: "the suite ended while it ran" });
  }

  const current = (claim: Claim): JobState => {
    const s = jobs.get(claim.job.id);
    if (!s || !s.running || s.attempts !== claim.attempt) {
      throw new Error(`attempt ${claim.attempt} of ${claim.job.id} is not the job's running attempt; its result is not recorded`);
    }
    return s;
  };

  return {
    path,
    interrupted,
    async add(specs) {
      for (const job of specs) if (!jobs.has(job.id)) write({ kind: "job", ...job });
    },
    async claim(worker) {
      for (const s of jobs.values()) {
        if (s.result || s.running) continue;
        write({ kind: "attempt-started", id: s.job.id, attempt: s.attempts + 1, worker });
        return { job: s.job, attempt: s.attempts, worker };
      }
      return null;
    },
    async notePid(claim, pid) {
      current(claim);
      write({ kind: "attempt-pid", id: claim.job.id, attempt: claim.attempt, pid });
    },
    async complete(claim, result) {
      current(claim);
      write({ kind: "attempt-finished", id: claim.job.id, attempt: claim.attempt, result });
    },
    async release(claim, reason) {
      current(claim);
      write({ kind: "attempt-interrupted", id: claim.job.id, attempt: claim.attempt, reason });
    },
    async snapshot(): Promise<JobSnapshot[]> {
      return [...jobs.values()].map((s) => ({
        job: s.job,
        state: s.result ? "finished" : s.running ? "running" : "waiting",
        attempts: s.attempts,
        result: s.result,
        worker: s.worker,
      }));
    },
    async close() {},
  };
}

function apply(jobs: Map<string, JobState>, r: StateRecord): void {
  if (r.kind === "job") {
    jobs.set(r.id, { job: { id: r.id, problem: r.problem, sets: r.sets }, attempts: 0, running: false, worker: null, result: null, pids: [] });
    return;
  }
  const s = jobs.get(r.id);
  if (!s) throw new Error(`state.jsonl names job ${r.id} before adding it; the suite's state is damaged`);
  switch (r.kind) {
    case "attempt-started":
      Object.assign(s, { attempts: r.attempt, running: true, worker: r.worker, pids: [] });
      break;
    case "attempt-pid":
      if (r.attempt === s.attempts) s.pids.push(r.pid);
      break;
    case "attempt-finished":
      if (r.attempt === s.attempts) Object.assign(s, { running: false, result: r.result });
      break;
    case "attempt-interrupted":
      if (r.attempt === s.attempts) s.running = false;
      break;
  }
}
