import assert from "node:assert/strict";
import { appendFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { JobResult } from "./entry.js";
import { openLocalQueue } from "./local-queue.js";
import { tempDir } from "./testing.js";

const worker = { host: "h", slot: 0, gpu: null };
const result = (dir: string): JobResult => ({
  status: "verified", stage: null, message: "ok", runStatus: "verified", route: null, author: "offline", kernels: 1, verdict: null,
  timings: null, timingNote: null, seconds: { run: 1, bench: null },
  paths: { attemptDir: dir, runDir: null, modelNew: null, verdict: null, events: null, log: join(dir, "run.log") },
});

test("reopening after a kill: finished stays finished, the running attempt is interrupted and runs again as the next", async () => {
  const dir = tempDir("queue");
  const q = openLocalQueue(dir);
  await q.add([{ id: "a", problem: "/a.py", sets: {} }, { id: "b", problem: "/b.py", sets: {} }]);
  const a = (await q.claim(worker))!;
  const b = (await q.claim(worker))!;
  await q.notePid(b, 4242);
  await q.complete(a, result("/x"));
  assert.equal(await q.claim(worker), null);
  appendFileSync(q.path, '{"time":"2026-01-01T00:00:00Z","kind":"attempt-fin'); // a write cut off by SIGKILL

  const again = openLocalQueue(dir);
  assert.deepEqual(again.interrupted, [{ id: "b", attempt: 1, pids: [4242] }]);
  await again.add([{ id: "a", problem: "/a.py", sets: {} }]);
  const next = (await again.claim(worker))!;
  assert.deepEqual([next.job.id, next.attempt], ["b", 2]);
  assert.equal(await again.claim(worker), null, "a is finished and is not handed out again");
  await assert.rejects(again.complete(b, result("/stale")), /attempt 1 of b is not the job's running attempt/);
  await again.complete(next, result("/y"));
  const snap = await again.snapshot();
  assert.deepEqual(snap.map((s) => [s.job.id, s.state, s.attempts]), [["a", "finished", 1], ["b", "finished", 2]]);
  assert.ok(readFileSync(again.path, "utf8").split("\n").every((l) => !l || JSON.parse(l)), "the torn line was cut, every line is whole");
});
