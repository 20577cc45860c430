import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { placeWorkers, type GpuDevice } from "./placement.js";
import { findProblems } from "./problems.js";
import { noTimingsNote, SuiteReportSchema } from "./report.js";
import { readStateLog } from "./state-log.js";
import { runSuite, type StoredSettings } from "./suite.js";
import { problemFolder, runDoc, scriptedSpawn, tempDir, verdictDoc, type Script } from "./testing.js";

/** The scheduler against a scripted `tritonize run`/`bench`, on simulated GPUs: no Python, no GPU. */

const settings: StoredSettings = { author: null, device: "auto", trials: 1, timeoutS: 30, benchTrials: 10, bench: true, sets: { n: "4" }, sizes: { "2_b.py": { n: "8" } } };
const gpus: GpuDevice[] = [
  { index: 0, name: "Simulated H200", memoryMiB: 140 * 1024 },
  { index: 1, name: "Simulated H200", memoryMiB: 140 * 1024 },
];
const timings = (speedup: number) => ({
  unit: "ms" as const, trials: 10, candidate: { median: 1 / speedup, mean: 1 / speedup }, eager: { median: 1, mean: 1 },
  compiled: { median: 0.5, mean: 0.5 }, speedupVsEager: speedup, speedupVsCompiled: speedup / 2, compileError: null,
});

test("jobs spread over simulated GPUs, two per GPU by memory, each child seeing only its GPU, timings alone", async () => {
  const names = ["1_a.py", "2_b.py", "3_c.py", "4_d.py", "5_e.py", "6_f.py", "7_g.py", "8_h.py"];
  const { problems } = findProblems([problemFolder(names)]);
  const placement = placeWorkers(gpus, { gpus: "all", jobs: 6, jobMemoryMiB: 64 * 1024 });
  assert.deepEqual(placement.slots.map((s) => s.gpu), [0, 1, 0, 1]); // 140/64: two per GPU, so 6 is clamped to 4
  assert.match(placement.notes[0]!, /--jobs 6 is more than the chosen GPUs hold/);
  const script: Script = (c) =>
    c.command === "run"
      ? { stdout: runDoc(c), exitCode: 0, delayMs: 20 }
      : { stdout: JSON.stringify(verdictDoc({ timings: timings(c.problem.includes("1_a") ? 3 : 1.2) })), exitCode: 0, delayMs: 10 };
  const fake = scriptedSpawn(script);
  const out = tempDir("suite-gpus");
  const r = await runSuite({ problems, out, resume: false, settings, slots: placement.slots, gpus }, { cli: ["node", "cli.mjs"], spawn: fake.spawn });

  assert.equal(r.report.complete, true);
  assert.equal(r.report.summary.counts.verified, 8);
  assert.deepEqual([...fake.maxInFlight.keys()].sort(), ["0", "1"]);
  for (const [gpu, n] of fake.maxInFlight) assert.equal(n, 2, `GPU ${gpu} ran ${n} children at once`);
  assert.deepEqual(fake.sharedBenches, [], "a timing has its GPU to itself");
  const benches = fake.calls.filter((c) => c.command === "bench");
  assert.equal(benches.length, 16, "each verified problem: its caches filled, then timed");
  for (const name of names) {
    const mine = benches.filter((c) => c.problem.endsWith(name)).map((c) => c.args.includes("--cache-only"));
    assert.deepEqual(mine, [true, false], `${name}: caches filled before the timing`);
  }
  assert.ok(r.report.problems.every((p) => typeof p.seconds?.warm === "number"));
  assert.equal(fake.calls.filter((c) => c.command === "run").length, 8);
  assert.ok(fake.calls.filter((c) => c.command === "run").every((c) => c.args.includes("cuda")), "runs on a GPU slot use --device cuda");
  const b = fake.calls.find((c) => c.command === "run" && c.problem.endsWith("2_b.py"))!;
  assert.deepEqual(b.args.slice(b.args.indexOf("--set")), ["--set", "n=8"], "--sizes overrides the suite-wide --set");
  // KernelBench's metrics: one of eight is 3x faster than eager, the others 1.2x
  const fp = Object.fromEntries(r.report.summary.fastP.map((f) => [f.p, f.eager]));
  assert.deepEqual(fp, { 0: 1, 1: 1, 1.5: 1 / 8, 2: 1 / 8 });
  assert.ok(Math.abs(r.report.summary.geomean.eager! - Math.exp((Math.log(3) + 7 * Math.log(1.2)) / 8)) < 1e-12);
  SuiteReportSchema.parse(JSON.parse(readFileSync(r.paths.json, "utf8")));
});

test("failures are classified by where they stopped, and one bad problem does not stop the others", async () => {
  const { problems } = findProblems([problemFolder(["1_ok.py", "2_rejected.py", "3_unsupported.py", "4_crash.py", "5_hang.py"])]);
  const script: Script = (c) => {
    if (c.problem.includes("2_rejected")) {
      return { stdout: runDoc(c, { ok: false, status: "rejected", message: "rejected at correctness: mismatch", verdict: verdictDoc({ ok: false, stage: "correctness", code: "mismatch" }) }), exitCode: 1 };
    }
    if (c.problem.includes("3_unsupported")) return { stdout: runDoc(c, { ok: false, status: "unsupported", modelNew: null, verdict: null, author: null, message: "no template for aten.sort" }), exitCode: 1 };
    if (c.problem.includes("4_crash")) return { stdout: "Traceback…", exitCode: 70 };
    if (c.problem.includes("5_hang")) return { stdout: "", exitCode: 0, hang: true };
    return { stdout: runDoc(c), exitCode: 0 };
  };
  const fake = scriptedSpawn(script);
  const slots = placeWorkers([], { gpus: null, jobs: 2, jobMemoryMiB: 1 }).slots;
  const out = tempDir("suite-fail");
  const r = await runSuite(
    { problems, out, resume: false, settings, slots, gpus: [] },
        // the hanging child meets a short limit instead of the suite's 90 s
    { cli: ["node", "cli.mjs"], spawn: (cmd, call) => fake.spawn(cmd, { ...call, timeoutMs: Math.min(call.timeoutMs, 300) }) },
  );
  const by = Object.fromEntries(r.report.problems.map((p) => [p.id.split("/")[1], p]));
  assert.equal(by["1_ok"]!.status, "verified");
  assert.equal(by["1_ok"]!.timingNote, "not timed: timings need a GPU");
  assert.equal(by["1_ok"]!.gpu, null);
  assert.equal(by["2_rejected"]!.status, "rejected");
  assert.equal(by["2_rejected"]!.stage, "correctness");
  assert.equal(by["3_unsupported"]!.status, "unsupported");
  assert.equal(by["3_unsupported"]!.stage, "author");
  assert.equal(by["4_crash"]!.status, "error");
  assert.match(by["4_crash"]!.message, /exited with status 70 without a result document/);
  assert.equal(by["5_hang"]!.status, "timeout");
  assert.deepEqual(r.report.summary.stages, { correctness: 1, author: 1, run: 2 });
  assert.equal(fake.calls.filter((c) => c.command === "bench").length, 0, "nothing is timed without a GPU");
  assert.equal(r.report.summary.fastP[0]!.eager, 1 / 5);
  assert.equal(r.report.summary.fastP[1]!.eager, null, "fast_1 is unknown, not 0, when nothing was timed");
});

test("an abort hands running claims back; --resume runs them as new attempts and nothing twice", async () => {
  const { problems } = findProblems([problemFolder(["1_a.py", "2_b.py", "3_c.py"])]);
  const out = tempDir("suite-abort");
  const slots = placeWorkers([], { gpus: null, jobs: 2, jobMemoryMiB: 1 }).slots;
  const controller = new AbortController();
  const first = scriptedSpawn((c) => ({ stdout: runDoc(c), exitCode: 0, delayMs: c.problem.includes("1_a") ? 5 : 60_000 }));
  const r1 = await runSuite(
    { problems, out, resume: false, settings, slots, gpus: [], signal: controller.signal },
    { cli: ["x"], spawn: first.spawn, onProgress: (p) => p.kind === "job-finished" && controller.abort() },
  );
  assert.equal(r1.aborted, true);
  assert.equal(r1.report.complete, false);
  const second = scriptedSpawn((c) => ({ stdout: runDoc(c), exitCode: 0 }));
  const r2 = await runSuite({ problems: [], out, resume: true, settings: null, slots, gpus: [] }, { cli: ["x"], spawn: second.spawn });
  assert.equal(r2.report.complete, true);
  assert.equal(r2.report.summary.counts.verified, 3);
  assert.ok(!second.calls.some((c) => c.problem.endsWith("1_a.py")), "the finished problem is not run again");
  const finished = readStateLog(join(out, "state.jsonl")).filter((s) => s.kind === "attempt-finished");
  assert.deepEqual(finished.map((f) => f.id).sort(), problems.map((p) => p.id).sort(), "each problem finished exactly once");
  const b = r2.report.problems.find((p) => p.id.endsWith("2_b"))!;
  assert.equal(b.attempts, 2);
  assert.match(b.paths!.attemptDir, /attempt-2$/);
});

test("a second suite on the same folder, or a resume of nothing, is refused with what to do", async () => {
  const { problems } = findProblems([problemFolder(["1_a.py"])]);
  const out = tempDir("suite-refuse");
  const slots = [{ slot: 0, gpu: null }];
  const fake = scriptedSpawn((c) => ({ stdout: runDoc(c), exitCode: 0 }));
  await assert.rejects(runSuite({ problems, out, resume: true, settings: null, slots, gpus: [] }, { cli: ["x"], spawn: fake.spawn }), /nothing to resume in .*run without --resume/);
  await runSuite({ problems, out, resume: false, settings, slots, gpus: [] }, { cli: ["x"], spawn: fake.spawn });
  await assert.rejects(runSuite({ problems, out, resume: false, settings, slots, gpus: [] }, { cli: ["x"], spawn: fake.spawn }), /already holds a suite; pass --resume/);
});

test("--no-bench verifies every problem and times none", async () => {
  const { problems } = findProblems([problemFolder(["1_a.py", "2_b.py"])]);
  const placement = placeWorkers(gpus, { gpus: "all", jobs: 2, jobMemoryMiB: 64 * 1024 });
  const fake = scriptedSpawn((c) => {
    assert.equal(c.command, "run", "bench was called although the suite runs with --no-bench");
    return { stdout: runDoc(c), exitCode: 0 };
  });
  const r = await runSuite({ problems, out: tempDir("suite-no-bench"), resume: false, settings: { ...settings, bench: false }, slots: placement.slots, gpus }, { cli: ["node", "cli.mjs"], spawn: fake.spawn });
  assert.equal(r.report.summary.counts.verified, 2);
  assert.equal(r.report.settings.bench, false);
  for (const e of r.report.problems) assert.match(e.timingNote ?? "", /--no-bench/);
  assert.equal(noTimingsNote(r.report), "no timings: the suite ran with --no-bench");
});
