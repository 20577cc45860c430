import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRunDir, newRunId } from "./run-dir.js";
import { parseEvents, type RunEvent } from "./events.js";

test("events are appended as they happen, validated, and read back with one schema", () => {
  const out = mkdtempSync(join(tmpdir(), "tritonize-runs-"));
  const run = createRunDir({ out, id: "r1", now: () => new Date("2026-01-02T03:04:05.000Z") });
  assert.equal(run.dir, join(out, "r1"));
  const seen: RunEvent[] = [];
  const unsubscribe = run.subscribe((e) => seen.push(e));
  run.emit("round-started", { stage: "kernel", worker: 2, round: 1 }, { dir: run.roundDir(2, 1) });
  // On disk before the next event is made: a crash after this line loses nothing.
  assert.equal(parseEvents(readFileSync(run.eventsPath, "utf8")).length, 1);
  run.emit("candidate-rejected", { stage: "kernel", worker: 2, round: 1 }, { reason: "syntax", message: "bad", line: 3 });
  unsubscribe();
  run.emit("verify-error", { stage: "kernel", worker: 2, round: 1 }, { message: "x" });
  const events = parseEvents(readFileSync(run.eventsPath, "utf8"));
  assert.equal(events.length, 3);
  assert.equal(seen.length, 2);
  assert.deepEqual(events[1], {
    time: "2026-01-02T03:04:05.000Z",
    stage: "kernel",
    worker: 2,
    round: 1,
    kind: "candidate-rejected",
    data: { reason: "syntax", message: "bad", line: 3 },
  });
});

test("a malformed event fails where it is made, and a bad line is named when read", () => {
  const run = createRunDir({ out: mkdtempSync(join(tmpdir(), "tritonize-runs-")) });
  assert.throws(() =>
    run.emit("candidate-rejected", { stage: "kernel", worker: 1, round: 1 }, { reason: "nope", message: "", line: null } as never),
  );
  assert.throws(() => parseEvents('{"kind":"verdict"}\n'), /line 1 does not fit the event schema/);
  assert.throws(() => parseEvents("\n{oops\n"), /line 2 is not JSON/);
});

test("round files land in workers/w<k>/round-<r>/ and the result at the top", () => {
  const run = createRunDir({ out: mkdtempSync(join(tmpdir(), "tritonize-runs-")) });
  const p = run.writeRoundFile(3, 2, "prompt.md", "hello");
  assert.equal(p, join(run.dir, "workers", "w3", "round-2", "prompt.md"));
  assert.equal(readFileSync(p, "utf8"), "hello");
  const r = run.writeResult({ a: 1 });
  assert.deepEqual(JSON.parse(readFileSync(r, "utf8")), { a: 1 });
  assert.match(newRunId(new Date("2026-01-02T03:04:05Z")), /^20260102-030405-[0-9a-f]{6}$/);
});

test("a listener that throws does not stop the run", () => {
  const run = createRunDir({ out: mkdtempSync(join(tmpdir(), "tritonize-runs-")) });
  run.subscribe(() => {
    throw new Error("view broke");
  });
  const write = process.stderr.write;
  let said = "";
  process.stderr.write = ((s: string) => ((said += s), true)) as typeof process.stderr.write;
  try {
    run.emit("verify-error", { stage: "kernel", worker: null, round: null }, { message: "x" });
  } finally {
    process.stderr.write = write;
  }
  assert.match(said, /an event listener failed on verify-error: view broke/);
  assert.equal(parseEvents(readFileSync(run.eventsPath, "utf8")).length, 1);
});
