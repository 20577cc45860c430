import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { fixture, processesIn } from "./testing.js";
import { VerdictSchema } from "./verdict.js";
import { verifyCandidate } from "./verify.js";

const problem = fixture("scale.py");
const sets = { n: "300" };

describe("verifyCandidate (CPU, Triton interpreter)", () => {
  test("accepts an honest candidate with a typed verdict", async () => {
    const v = await verifyCandidate({ problem, candidate: fixture("scale_triton.py"), device: "cpu", trials: 2, sets });
    assert.equal(v.ok, true, v.message);
    assert.equal(v.stage, "passed");
    assert.equal(v.trials.length, 2);
    assert.equal(v.interpreter, true);
    assert.ok(v.launches >= 4);
    assert.ok(v.atenOps.every((o) => o.allowed));
  });

  test("rejects compute in the wrapper, naming the ops", async () => {
    const v = await verifyCandidate({ problem, candidate: fixture("scale_torch_mul.py"), device: "cpu", trials: 2, sets });
    assert.equal(v.ok, false);
    assert.equal(v.stage, "integrity");
    assert.equal(v.code, "aten_compute_op");
    assert.match(v.message, /aten\.mul/);
    assert.ok(v.atenOps.some((o) => o.op === "aten.mul" && !o.allowed));
  });

  test("a candidate that never returns times out and leaves no process behind", async () => {
    const workDir = mkdtempSync(join(tmpdir(), "tritonize-spin-"));
    const started = Date.now();
    const v = await verifyCandidate({
      problem, candidate: fixture("spin_forward.py"), device: "cpu", trials: 1, sets, timeoutMs: 8000, workDir,
    });
    assert.equal(v.stage, "timeout");
    assert.equal(v.code, "timeout");
    assert.ok(Date.now() - started < 30_000);
    assert.deepEqual(processesIn(workDir), []);
  });

  test("aborting kills the verification's whole process group", async () => {
    const workDir = mkdtempSync(join(tmpdir(), "tritonize-abort-"));
    const controller = new AbortController();
    const pending = verifyCandidate({
      problem, candidate: fixture("spin_forward.py"), device: "cpu", trials: 1, sets, workDir,
      signal: controller.signal,
    });
    // Wait until the candidate's process is up in its work directory, then abort.
    for (let i = 0; i < 200 && processesIn(workDir).length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(processesIn(workDir).length > 0, "the worker never started");
    controller.abort();
    await assert.rejects(pending, (e: Error) => e.name === "AbortError");
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(processesIn(workDir), []);
  });

  test("a missing problem file is a load verdict that says which file", async () => {
    const v = await verifyCandidate({ problem: "/nonexistent/p.py", candidate: fixture("scale_triton.py"), device: "cpu" });
    assert.equal(v.stage, "load");
    assert.equal(v.code, "problem_missing_file");
    assert.match(v.message, /\/nonexistent\/p\.py/);
    VerdictSchema.parse(v);
  });
});
