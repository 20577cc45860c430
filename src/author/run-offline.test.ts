import { strict as assert } from "node:assert";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { makeVerdict } from "../agent/testing/scripted-verifier.js";
import { parseCaptureDocument, type CapturedGraph } from "./graph.js";
import { runProblem, type RunDeps } from "./run-offline.js";

/** runProblem's record of a run: no second verification, kernels listed, interruptions marked. */

const out = mkdtempSync(join(tmpdir(), "tritonize-run-offline-"));
after(() => rmSync(out, { recursive: true, force: true }));

function graph(name: string): CapturedGraph {
  const doc = parseCaptureDocument(JSON.parse(readFileSync(new URL(`./fixtures/${name}.graph.json`, import.meta.url), "utf8")), name);
  if (!doc.ok) throw new Error(`fixture ${name} is a failure document`);
  return doc;
}

const MODEL_CODE = `import torch
import triton
import triton.language as tl


@triton.jit
def relu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    pass


@triton.autotune(configs=[], key=["n"])
@triton.jit
def scale_kernel(x_ptr, n, BLOCK: tl.constexpr):
    pass
`;

function deps(over: Partial<RunDeps>): RunDeps {
  return {
    capture: async () => graph("pointwise_chain"),
    verify: async () => makeVerdict({ ok: true, stage: "passed" }),
    modelAuthor: null,
    providerConfigured: false,
    ...over,
  };
}

test("a file the kernel agent verified is not verified again, and its kernels are listed", async () => {
  let verified = 0;
  const agentVerdict = makeVerdict({ ok: true, stage: "passed", message: "ACCEPTED: by the agent" });
  const r = await runProblem(
    { problem: "p.py", outDir: out, author: "model" },
    deps({
      providerConfigured: true,
      verify: async () => ((verified += 1), makeVerdict({ ok: true, stage: "passed" })),
      modelAuthor: async () => ({ ok: true, code: MODEL_CODE, verdict: agentVerdict }),
    }),
  );
  assert.equal(verified, 0);
  assert.equal(r.ok, true);
  assert.equal(r.message, "ACCEPTED: by the agent");
  assert.deepEqual(r.kernelNames, ["relu_kernel", "scale_kernel"]);
  assert.equal(r.kernels, 2);
  const summary = JSON.parse(readFileSync(join(r.runDir, "summary.json"), "utf8"));
  assert.deepEqual(summary.kernelNames, ["relu_kernel", "scale_kernel"]);
  assert.match(readFileSync(join(r.runDir, "events.jsonl"), "utf8"), /"by":"kernel agent"/);
  // without the agent's verdict the run verifies the file itself
  await runProblem(
    { problem: "p.py", outDir: out, author: "model" },
    deps({ providerConfigured: true, verify: async () => ((verified += 1), agentVerdict), modelAuthor: async () => ({ ok: true, code: MODEL_CODE }) }),
  );
  assert.equal(verified, 1);
});

test("an interruption during verification marks the run, and says model_new.py was never verified", async () => {
  const controller = new AbortController();
  const r = await runProblem(
    { problem: "p.py", outDir: out, author: "offline", signal: controller.signal },
    deps({
      verify: (o) =>
        new Promise((_, reject) => {
          controller.abort();
          o.signal!.addEventListener("abort", () => reject(Object.assign(new Error("aborted"), { name: "AbortError" })));
          if (o.signal!.aborted) reject(Object.assign(new Error("aborted"), { name: "AbortError" }));
        }),
    }),
  );
  assert.equal(r.status, "interrupted");
  assert.equal(r.modelNewVerdict, "never verified");
  assert.ok(r.modelNew && existsSync(r.modelNew));
  assert.match(r.message, /interrupted during verify\. model_new\.py was written .* but never verified/);
  const last = JSON.parse(readFileSync(join(r.runDir, "events.jsonl"), "utf8").trim().split("\n").at(-1)!);
  assert.equal(last.kind, "interrupted");
  assert.match(readFileSync(join(r.runDir, "README.md"), "utf8"), /`model_new\.py`: the KernelBench `ModelNew` \(never verified\)/);
});

test("a problem that fails its check after a failed capture carries the problem's code", async () => {
  const r = await runProblem(
    { problem: "p.py", outDir: out, author: "auto" },
    deps({
      capture: async () => ({ schema: "tritonize.graph/1", ok: false, problem: "p.py", code: "load_failed", line: 3, message: "loading failed" }),
      checkProblem: async () => ({ ok: false, code: "problem_forward_error", message: "forward() raised: ValueError: no" }),
    }),
  );
  assert.equal(r.status, "problem_failed");
  assert.equal(r.code, "problem_forward_error");
  assert.match(r.message, /forward\(\) raised/);
});

test("a zero-size input is refused with the true reason, before any kernel is written", async () => {
  const g = structuredClone(graph("pointwise_chain"));
  g.inputs[0] = { ...g.inputs[0]!, shape: [0, ...g.inputs[0]!.shape.slice(1)] };
  let verified = false;
  const r = await runProblem({ problem: "p.py", outDir: out }, deps({ capture: async () => g, verify: async () => ((verified = true), makeVerdict({ ok: true, stage: "passed" })) }));
  assert.equal(r.status, "problem_failed");
  assert.equal(r.code, "problem_empty_input");
  assert.match(r.message, /input 0 of the problem has no elements \(shape \[0/);
  assert.equal(verified, false);
  assert.equal(r.modelNew, null);
});

test("a problem the kernel agent found failing ends the run as the problem's failure", async () => {
  const r = await runProblem(
    { problem: "p.py", outDir: out, author: "model" },
    deps({
      providerConfigured: true,
      modelAuthor: async () => ({ ok: false, message: "the problem itself fails (nondeterministic_reference)", problemCode: "nondeterministic_reference" }),
    }),
  );
  assert.equal(r.status, "problem_failed");
  assert.equal(r.code, "nondeterministic_reference");
});

test("numbers that miss the reference are tried once more at the other precision; other failures are not", async () => {
  const mismatch = makeVerdict({ ok: false, stage: "correctness", message: "output 0: 22 elements outside tolerance" });
  const trial = { index: 0, seed: 1, calls: 1, ok: true, maxAbsErr: 2e-4, maxRelErr: 1e-3, worstIndex: null, worstOutput: null, launches: 1, code: null, message: null };
  const exactOnly = makeVerdict({ ok: true, stage: "passed", trials: [trial, { ...trial, index: 1, judgedAgainstExact: true }] });
  const seen: string[] = [];
  const verifyScripted = (answers: ReturnType<typeof makeVerdict>[]) => async (o: { candidate: string }) => {
    seen.push(readFileSync(o.candidate, "utf8"));
    return answers.shift()!;
  };
  const r = await runProblem(
    { problem: "conv.py", outDir: out, author: "offline" },
    deps({ capture: async () => graph("conv_relu_bias"), verify: verifyScripted([mismatch, exactOnly]) }),
  );
  assert.equal(r.status, "verified");
  assert.equal(seen.length, 2);
  assert.match(seen[0]!, /torch\.backends\.cudnn\.allow_tf32/); // predicted: cuDNN's TF32
  assert.match(seen[1]!, /TF32=False/); // then exact fp32
  assert.equal(readFileSync(join(r.runDir, "model_new.first.py"), "utf8"), seen[0]);
  assert.equal(readFileSync(r.modelNew!, "utf8"), seen[1]);
  const events = readFileSync(join(r.runDir, "events.jsonl"), "utf8");
  assert.match(events, /"kind":"retried","data":\{"author":"offline","options":\{"convPrecision":"exact"\}/);
  // accepted against the float64 result only on trial 2: the run's README says KernelBench's evaluation may differ
  assert.match(readFileSync(join(r.runDir, "README.md"), "utf8"), /note: trial 2 matched the float64 result within the tolerance but not eager's fp32 result; KernelBench's own evaluation/);
  assert.match(readFileSync(join(r.runDir, "README.md"), "utf8"), /`model_new\.first\.py`: the first candidate, at the other precision/);

  // the second precision missing too is the run's answer; a timeout is never retried
  seen.length = 0;
  const twice = await runProblem(
    { problem: "conv.py", outDir: out, author: "offline" },
    deps({ capture: async () => graph("conv_relu_bias"), verify: verifyScripted([mismatch, mismatch, mismatch]) }),
  );
  assert.equal(twice.status, "rejected");
  assert.equal(seen.length, 2);
  seen.length = 0;
  const slow = await runProblem(
    { problem: "conv.py", outDir: out, author: "offline" },
    deps({ capture: async () => graph("conv_relu_bias"), verify: verifyScripted([makeVerdict({ ok: false, stage: "timeout" })]) }),
  );
  assert.equal(slow.status, "rejected");
  assert.equal(seen.length, 1);
});
