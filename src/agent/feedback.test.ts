import { test } from "node:test";
import assert from "node:assert/strict";
import { renderFeedback, summarizeVerdict } from "./feedback.js";
import { makeVerdict } from "./testing/scripted-verifier.js";

const CANDIDATE = "import torch\nimport triton\n\nclass ModelNew:\n    def forward(self, a, b):\n        return a @ b\n";

test("integrity feedback names the compute ops the wrapper dispatched and the line", () => {
  const v = makeVerdict({
    ok: false,
    stage: "integrity",
    code: "aten_compute_op",
    message: "aten.mm was called from the wrapper",
    line: 6,
    launches: 0,
    atenOps: [
      { op: "aten.empty.memory_format", count: 1, allowed: true },
      { op: "aten.mm", count: 1, allowed: false },
    ],
  });
  const text = renderFeedback(v, CANDIDATE);
  assert.equal(
    text,
    [
      "**Failed at stage: integrity (aten_compute_op).** The harness saw the wrapper doing something a candidate may not do.",
      "aten.mm was called from the wrapper",
      "Line 6 of your file: `return a @ b`",
      "Compute ops the wrapper dispatched (not allowed outside kernels): aten.mm ×1. Move that arithmetic into a @triton.jit kernel.",
      "No Triton kernel was launched during forward; at least one launch per call is required.",
    ].join("\n\n"),
  );
  assert.equal(summarizeVerdict(v), "integrity (aten_compute_op): wrapper dispatched aten.mm");
});

test("correctness feedback gives the worst trial, output, index, errors and tolerance", () => {
  const v = makeVerdict({
    ok: false,
    stage: "correctness",
    code: "mismatch",
    message: "output 1 differs from the reference in 12 of 4096 elements",
    maxAbsErr: 0.0123,
    maxRelErr: 3.5,
    worstIndex: [3, 7],
    tolerance: { atol: 1e-4, rtol: 1e-4 },
    degenerate: true,
    trials: [
      { index: 0, seed: 1, calls: 1, ok: false, maxAbsErr: 0.001, maxRelErr: 0.1, worstIndex: [0, 0], worstOutput: 1, launches: 1, code: "mismatch", message: null },
      { index: 1, seed: 2, calls: 1, ok: false, maxAbsErr: 0.0123, maxRelErr: 3.5, worstIndex: [3, 7], worstOutput: 1, launches: 1, code: "mismatch", message: null },
    ],
  });
  const text = renderFeedback(v, CANDIDATE);
  assert.match(text, /^\*\*Failed at stage: correctness \(mismatch\)\.\*\* The outputs do not match the reference\./);
  assert.match(text, /Trials passed: 0 of 2\./);
  assert.match(text, /Worst trial: 1 \(seed 2\): output 1 at index \[3, 7\] is off by 0\.0123 absolute, 3\.5 relative \(allowed: atol 1e-4, rtol 1e-4\)\./);
  assert.match(text, /near-constant .* an output of zeros does not pass/);
  assert.equal(summarizeVerdict(v), "correctness (mismatch): max abs error 0.0123 at [3, 7]");
});

test("compile feedback carries the compiler's output, clipped from the front", () => {
  const long = "x".repeat(5000) + "\ntriton.compiler.errors.CompilationError: at 12:4: unsupported";
  const v = makeVerdict({ ok: false, stage: "compile", code: "compile_error", message: "CompilationError", traceback: long, line: 99 });
  const text = renderFeedback(v, CANDIDATE);
  assert.match(text, /Reported at line 99 of your file\./);
  assert.match(text, /Error output \(last lines\):\n```\n…x+\ntriton\.compiler\.errors\.CompilationError: at 12:4: unsupported\n```$/);
  assert.ok(text.length < 3300);
  assert.equal(summarizeVerdict(v), "compile (compile_error) at line 99: CompilationError");
});

test("a passing verdict reads as accepted", () => {
  assert.equal(summarizeVerdict(makeVerdict({ ok: true, stage: "passed" })), "passed");
});

test("a timeout says how many trials passed and how long they took, not only that it may loop forever", () => {
  const trial = { index: 0, seed: 1, calls: 3, ok: true, maxAbsErr: 0, maxRelErr: 0, worstIndex: null, worstOutput: null, launches: 3, code: null, message: null };
  const slow = makeVerdict({ ok: false, stage: "timeout", code: "timeout", message: "did not finish", durationMs: 120_000, trials: [trial, { ...trial, index: 1 }, { ...trial, index: 2 }, { ...trial, index: 3 }] });
  const text = renderFeedback(slow, "");
  assert.match(text, /4 trials had passed \(30\.0 s per trial on average, loading included, 120\.0 s in all\)/);
  assert.match(text, /too slow here/);
  assert.doesNotMatch(text, /never ends/);
  assert.match(renderFeedback({ ...slow, trials: [] }, ""), /No trial had finished after 120\.0 s[^]*never ends/);
  // trials that carry their own times are listed one by one
  const timed = { ...slow, trials: [{ ...trial, seconds: 25.04 }, { ...trial, index: 1, seconds: 31.2 }] };
  assert.match(renderFeedback(timed, ""), /2 trials had passed \(taking 25\.0 s, 31\.2 s; 120\.0 s in all, loading included\)/);
});
