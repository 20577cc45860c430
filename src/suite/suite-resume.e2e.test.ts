import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { projectRoot } from "../harness/paths.js";
import { example } from "../harness/testing.js";
import { SuiteReportSchema } from "./report.js";
import { readStateLog, type StateRecord } from "./state-log.js";
import { alive } from "./suite-lock.js";
import { tempDir } from "./testing.js";

/**
 * The real thing on CPU: three small example problems, two jobs, each through `tritonize run` in
 * Triton's interpreter. The suite is SIGKILLed once the first problem has finished (its detached
 * children live on as orphans), then resumed. Proven from the state log, not from timing: every
 * problem finished exactly once, and nothing finished before the kill was started again.
 */
const bundle = join(projectRoot(), "dist", "tritonize.mjs");
const problems = ["01_swish_bias.py", "02_sum_dim1.py", "08_tiny_scale.py"].map((f) => example("problems", f));
const args = (out: string) => ["suite", ...problems, "--sizes", example("problems", "small.json"), "--jobs", "2", "--trials", "1", "--device", "cpu", "--out", out];

test("a suite killed with SIGKILL part-way resumes, finishing every problem once", { timeout: 400_000 }, async () => {
  assert.ok(existsSync(bundle), `the bundled CLI is missing (${bundle}): run 'npm run build'`);
  const out = tempDir("suite-resume");
  const state = join(out, "state.jsonl");
  const suite = spawn(process.execPath, [bundle, ...args(out)], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  suite.stderr!.setEncoding("utf8").on("data", (t: string) => (stderr += t));
  const exited = new Promise((r) => suite.once("close", r));

  // wait until one problem has finished while another is running, then kill the suite alone
  const deadline = Date.now() + 240_000;
  let before: StateRecord[] = [];
  for (;;) {
    assert.ok(Date.now() < deadline, `no problem finished in time; suite stderr:\n${stderr}`);
    before = existsSync(state) ? readStateLog(state) : [];
    const finished = before.filter((r) => r.kind === "attempt-finished").length;
    const started = before.filter((r) => r.kind === "attempt-started").length;
    if (finished >= 1 && started > finished && finished < problems.length) break;
    assert.equal(suite.exitCode, null, `the suite ended before it could be killed:\n${stderr}`);
    await sleep(200);
  }
  suite.kill("SIGKILL");
  await exited;
  before = readStateLog(state);
  const doneBefore = new Set(before.filter((r) => r.kind === "attempt-finished").map((r) => r.id));
  const orphans = before.filter((r) => r.kind === "attempt-pid" && !doneBefore.has(r.id)).map((r) => (r as { pid: number }).pid);
  assert.ok(doneBefore.size >= 1 && doneBefore.size < problems.length);

  const resumed = spawnSync(process.execPath, [bundle, "suite", "--resume", "--out", out, "--jobs", "2", "--json"], { encoding: "utf8", timeout: 300_000 });
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.match(resumed.stderr, /resumed with \d already finished/);
  const report = SuiteReportSchema.parse(JSON.parse(resumed.stdout));
  assert.deepEqual(SuiteReportSchema.parse(JSON.parse(readFileSync(join(out, "report.json"), "utf8"))), report);

  assert.equal(report.complete, true);
  assert.equal(report.problems.length, problems.length);
  const failed = report.problems.filter((p) => p.status !== "verified").map((p) => `${p.id}: ${p.status}: ${p.message}`);
  assert.deepEqual(failed, []);

  const records = readStateLog(state);
  const after = records.slice(before.length);
  for (const p of report.problems) {
    const finishes = records.filter((r) => r.kind === "attempt-finished" && r.id === p.id);
    assert.equal(finishes.length, 1, `${p.id} finished ${finishes.length} times`);
  }
  for (const id of doneBefore) {
    assert.ok(!after.some((r) => r.kind === "attempt-started" && r.id === id), `${id} finished before the kill and was started again`);
  }
  const restarted = after.filter((r) => r.kind === "attempt-interrupted").map((r) => r.id);
  assert.ok(restarted.length >= 1, "the problem running at the kill is marked interrupted");
  for (const id of restarted) {
    const entry = report.problems.find((p) => p.id === id)!;
    assert.equal(entry.attempts, 2);
    assert.match(entry.paths!.attemptDir, /attempt-2$/, "the restarted problem ran in a fresh attempt folder");
  }
  for (const pid of orphans) assert.ok(!alive(pid), `the killed suite's child ${pid} still runs after the resume`);
  for (const p of report.problems) assert.ok(existsSync(join(out, p.paths!.modelNew!)), `${p.id}: model_new.py is where report.json says, relative to the suite folder`);
  assert.ok(existsSync(join(out, "report.html")));
});
