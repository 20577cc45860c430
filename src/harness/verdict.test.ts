import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseVerdict } from "./verdict.js";

const older = {
  schema: "tritonize.verdict/1", ok: true, stage: "passed", code: null, message: "ACCEPTED", details: {},
  line: null, traceback: null, trials: [], maxAbsErr: 0, maxRelErr: 0, worstIndex: null, launches: 4,
  atenOps: [], degenerate: false, tolerance: null, device: "cuda", interpreter: false, problem: "p.py",
  candidate: "c.py", durationMs: 1200, footprintBytes: 4096, peakBytes: 12288,
};
const phases = {
  supervisor: { problemLoad: 0.01, teardown: 0.2 },
  worker: { torchImport: 1.5, load: 0.05 },
  trials: [{ inputs: 0.001, firstCall: 0.9, compare: 0.02 }],
  referenceCacheHits: 0,
};
const memory = {
  supervisorPeakBytes: 8192, workerPeakBytes: 4096, paramBytes: 0, heldBeforeBytes: 0, measured: true,
  steps: { reference: 8192, compare: 6000 },
};

describe("the verdict schema's phases and memory", () => {
  test("a verdict from before them still parses", () => {
    const v = parseVerdict(older, "test");
    assert.equal(v.phases, undefined);
    assert.equal(v.memory, undefined);
  });

  test("they are typed when present", () => {
    const v = parseVerdict({ ...older, phases, memory }, "test");
    assert.equal(v.phases?.trials[0]?.firstCall, 0.9);
    assert.equal(v.memory?.steps?.reference, 8192);
    assert.equal(parseVerdict({ ...older, phases, memory: null }, "test").memory, null);
  });

  test("a malformed record names the field", () => {
    assert.throws(() => parseVerdict({ ...older, phases: { ...phases, trials: [{ compare: "fast" }] } }, "test"),
      /phases\.trials\.0\.compare/);
  });
});
