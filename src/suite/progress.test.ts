import assert from "node:assert/strict";
import { test } from "node:test";
import type { JobResult } from "./entry.js";
import { progressView } from "./progress.js";
import type { SuiteReport } from "./report.js";

const result = (status: JobResult["status"]): JobResult => ({
  status, stage: status === "verified" ? null : "correctness", message: status === "verified" ? "ok" : "mismatch", runStatus: status,
  route: null, author: "offline", kernels: 1, verdict: null, timingNote: null, seconds: { run: 12, bench: 3 },
  timings: status === "verified" ? { candidateMs: 1, eagerMs: 2, compiledMs: 1.5, speedupVsEager: 2, speedupVsCompiled: 1.5, compileError: null } : null,
  paths: { attemptDir: "/a", runDir: null, modelNew: null, verdict: null, events: null, log: "/a/run.log" },
});
const report = {} as SuiteReport; // the view reads only the result

test("on a terminal: one bar redrawn in place with counts, running problems and an ETA from this session's pace", () => {
  let text = "";
  let now = 0;
  const view = progressView({ write: (t) => (text += t), tty: true, clock: () => now });
  view({ kind: "started", total: 10, finished: 4, resumed: true, reaped: [] });
  view({ kind: "job-started", id: "level1/5_x", attempt: 1, slot: 0, gpu: 0 });
  view({ kind: "job-started", id: "level1/6_y", attempt: 1, slot: 1, gpu: 0 });
  now = 60_000;
  view({ kind: "job-finished", id: "level1/5_x", result: result("verified"), report });
  assert.match(text, /resumed with 4 already finished/);
  assert.match(text, /\[5\/10\] level1\/5_x: verified in 15\.0 s, 2\.00× eager, 1\.50× compile\n/);
  const bar = text.split("\r").pop()!;
  assert.match(bar, /^\[#{12}-{12}\] 5\/10  verified 1  running 1  ETA 5m00s/); // 1 per minute here, 5 left
});

test("without a terminal: plain lines only, one per finished problem", () => {
  let text = "";
  const view = progressView({ write: (t) => (text += t), tty: false });
  view({ kind: "started", total: 2, finished: 0, resumed: false, reaped: [] });
  view({ kind: "job-started", id: "a", attempt: 1, slot: 0, gpu: null });
  view({ kind: "job-finished", id: "a", result: result("rejected"), report });
  view.done();
  assert.equal(text, "tritonize suite: 2 problems\n[1/2] a: rejected at correctness in 15.0 s: mismatch\n");
});
