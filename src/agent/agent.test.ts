import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runKernelAgent } from "./agent.js";
import { KernelResultSchema } from "./result.js";
import { parseEvents, type RunEvent } from "../runs/events.js";
import { ScriptedModel, pyReply } from "./testing/scripted-model.js";
import { makeVerdict, processAlive, scriptedVerifier } from "./testing/scripted-verifier.js";

const PROBLEM = `import torch
import torch.nn as nn

class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return torch.relu(x)

def get_inputs():
    return [torch.randn(64)]

def get_init_inputs():
    return []
`;

function setup() {
  const dir = mkdtempSync(join(tmpdir(), "tritonize-agent-"));
  const problem = join(dir, "relu.py");
  writeFileSync(problem, PROBLEM);
  return { dir, problem, out: join(dir, "runs") };
}

/** A candidate whose marker comment tells the scripted verifier what to answer. */
function candidate(marker: string, body = "pass"): string {
  return `import torch\nimport torch.nn as nn\nimport triton\nimport triton.language as tl\n\nclass ModelNew(nn.Module):\n    def forward(self, x):\n        ${body}  # ${marker}\n`;
}

function markerOf(code: string): string {
  return /# (v[\w-]+)/.exec(code)?.[1] ?? "none";
}

test("a worker recovers from a syntax error, a compile error and a wrong result, guided by feedback", async () => {
  const { problem, out } = setup();
  const replies = [
    pyReply("class ModelNew(nn.Module:\n    pass"),
    pyReply(candidate("v-compile", "y = x")),
    pyReply(candidate("v-wrong", "y = x")),
    pyReply(candidate("v-good", "y = x")),
  ];
  const model = new ScriptedModel((_req, call) => ({ text: replies[call] }));
  const verifier = scriptedVerifier((code) => {
    switch (markerOf(code)) {
      case "v-compile":
        return {
          verdict: makeVerdict({
            ok: false,
            stage: "compile",
            code: "triton_compile_error",
            message: "CompilationError: arange's range must be a power of 2",
            line: 8,
            traceback: 'File "candidate.py", line 8\nValueError: arange\'s range must be a power of 2',
          }),
        };
      case "v-wrong":
        return {
          verdict: makeVerdict({
            ok: false,
            stage: "correctness",
            code: "mismatch",
            message: "output 0 differs from the reference",
            maxAbsErr: 0.5,
            maxRelErr: 1.0,
            worstIndex: [17],
            launches: 1,
            trials: [
              { index: 0, seed: 11, calls: 1, ok: true, maxAbsErr: 0, maxRelErr: 0, worstIndex: null, worstOutput: null, launches: 1, code: null, message: null },
              { index: 1, seed: 12, calls: 1, ok: false, maxAbsErr: 0.5, maxRelErr: 1.0, worstIndex: [17], worstOutput: 0, launches: 1, code: "mismatch", message: null },
            ],
          }),
        };
      case "v-good":
        return { verdict: makeVerdict({ ok: true, stage: "passed", maxAbsErr: 0, launches: 1 }) };
      default:
        throw new Error(`unexpected candidate ${code}`);
    }
  });
  const result = await runKernelAgent({ problem, model, verify: verifier.verify, workers: 1, rounds: 6, out, device: "cpu" });

  assert.equal(result.status, "verified", result.message);
  assert.equal(result.winner?.worker, 1);
  assert.equal(result.winner?.round, 4);
  const prompts = model.promptsOf(1);
  assert.equal(prompts.length, 4);
  assert.ok(!prompts[0]!.includes("Your last attempt"));
  // Round 2 is told about the syntax error, with the line.
  assert.match(prompts[1]!, /not valid Python/);
  assert.match(prompts[1]!, /SyntaxError/);
  assert.match(prompts[1]!, /line 1: `class ModelNew\(nn\.Module:`/);
  // Round 3 is told the compile stage, the compiler's message and the line of its own file.
  assert.match(prompts[2]!, /Failed at stage: compile \(triton_compile_error\)/);
  assert.match(prompts[2]!, /arange's range must be a power of 2/);
  assert.match(prompts[2]!, /Line 8 of your file: `y = x  # v-compile`/);
  assert.match(prompts[2]!, /round 1: syntax/);
  // Round 4 is told the max error, where it is, and which trial.
  assert.match(prompts[3]!, /Failed at stage: correctness \(mismatch\)/);
  assert.match(prompts[3]!, /Trials passed: 1 of 2/);
  assert.match(prompts[3]!, /Worst trial: 1 \(seed 12\): output 0 at index \[17\] is off by 0\.5 absolute/);
  assert.match(prompts[3]!, /atol 1e-4/i);
  assert.ok(prompts[3]!.includes("# v-wrong"), "the previous candidate is quoted");
  assert.ok(!prompts[3]!.includes("# v-compile\n```"), "older candidates are summarised, not quoted");
  // The syntax error never reached the verifier.
  assert.equal(verifier.calls.length, 3);

  // The record alone tells the story.
  const rd = join(result.runDir, "workers", "w1");
  for (const r of [1, 2, 3, 4]) {
    assert.ok(existsSync(join(rd, `round-${r}`, "prompt.md")), `round ${r} prompt`);
    assert.ok(existsSync(join(rd, `round-${r}`, "reply.md")), `round ${r} reply`);
    assert.ok(existsSync(join(rd, `round-${r}`, "candidate.py")), `round ${r} candidate`);
  }
  assert.ok(!existsSync(join(rd, "round-1", "verdict.json")));
  assert.ok(existsSync(join(rd, "round-4", "verdict.json")));
  const doc = KernelResultSchema.parse(JSON.parse(readFileSync(join(result.runDir, "result.json"), "utf8")));
  assert.equal(doc.winner?.round, 4);
  assert.equal(readFileSync(doc.winner!.kernelPath, "utf8"), readFileSync(join(rd, "round-4", "candidate.py"), "utf8"));
  const events = parseEvents(readFileSync(result.eventsPath, "utf8"));
  assert.equal(events[0]!.kind, "run-started");
  assert.equal(events.at(-1)!.kind, "run-finished");
  assert.deepEqual(
    events.filter((e) => e.kind === "verdict").map((e) => (e as Extract<RunEvent, { kind: "verdict" }>).data.stage),
    ["compile", "correctness", "passed"],
  );
});

test("the first verified candidate cancels the other workers: no more requests, no verification left running", async () => {
  const { problem, out } = setup();
  const model = new ScriptedModel((_req, _call, worker) => {
    if (worker === 1) return { text: pyReply(candidate("v-good")), delayMs: 20 };
    if (worker === 2) return { text: pyReply(candidate("v-slowmodel")), delayMs: 20_000 };
    return { text: pyReply(candidate(`v-slowverify-${worker}`)), delayMs: 5 };
  });
  const verifier = scriptedVerifier((code) =>
    markerOf(code) === "v-good"
      ? { verdict: makeVerdict({ ok: true, stage: "passed" }), delayMs: 150 }
      : { verdict: makeVerdict({ ok: false, stage: "correctness" }), delayMs: 20_000 },
  );
  const events: RunEvent[] = [];
  const t0 = Date.now();
  const result = await runKernelAgent({
    problem,
    model,
    verify: verifier.verify,
    workers: 3,
    rounds: 5,
    out,
    onEvent: (e) => events.push(e),
  });
  const elapsed = Date.now() - t0;

  assert.equal(result.status, "verified");
  assert.equal(result.winner?.worker, 1);
  assert.ok(elapsed < 10_000, `the run ended ${elapsed} ms after it started (the losers would take 20 s)`);
  const won = events.find((e) => e.kind === "verdict" && e.data.ok)!;
  const wonAt = Date.parse(won.time);
  assert.equal(model.requests.filter((r) => r.at > wonAt).length, 0, "no request after the win");
  assert.equal(model.requests.length, 3);
  assert.ok(model.requests.find((r) => r.worker === 2)!.aborted, "worker 2's request was aborted");
  assert.equal(verifier.pids.length, 2);
  for (const pid of verifier.pids) assert.ok(!processAlive(pid), `verification process ${pid} is gone`);
  const outcomes = Object.fromEntries(result.workers.map((w) => [w.worker, w.outcome]));
  assert.deepEqual(outcomes, { 1: "verified", 2: "cancelled", 3: "cancelled" });
});

test("a duplicate candidate is not verified again, and the worker is told", async () => {
  const { problem, out } = setup();
  const same = candidate("v-dup", "y = x");
  // The repeat differs only in blank lines, a comment line and trailing spaces.
  const repeat = same.replace("class ModelNew", "\n# the same again\nclass ModelNew").replace("import triton\n", "import triton   \n");
  const replies = [pyReply(same), pyReply(repeat), pyReply(candidate("v-good"))];
  const model = new ScriptedModel((_req, call) => ({ text: replies[call] }));
  const verifier = scriptedVerifier((code) =>
    markerOf(code) === "v-good"
      ? { verdict: makeVerdict({ ok: true, stage: "passed" }) }
      : { verdict: makeVerdict({ ok: false, stage: "runtime", code: "exception", message: "RuntimeError: boom" }) },
  );
  const events: RunEvent[] = [];
  const result = await runKernelAgent({ problem, model, verify: verifier.verify, workers: 1, rounds: 3, out, onEvent: (e) => events.push(e) });

  assert.equal(result.status, "verified");
  assert.equal(verifier.calls.length, 2, "the duplicate was not verified");
  const rejected = events.find((e) => e.kind === "candidate-rejected");
  assert.equal(rejected?.kind === "candidate-rejected" && rejected.data.reason, "duplicate");
  const third = model.promptsOf(1)[2]!;
  assert.match(third, /Not run: this file is the same as your round 1/);
  assert.match(third, /It failed: runtime \(exception\)/);
});

test("a candidate repeated by another worker is not verified twice, and that worker's verdict is not passed on", async () => {
  const { problem, out } = setup();
  const model = new ScriptedModel((_req, _call, worker) => ({
    text: pyReply(candidate("v-shared")),
    delayMs: worker === 1 ? 0 : 100,
  }));
  const verifier = scriptedVerifier(() => ({ verdict: makeVerdict({ ok: false, stage: "compile", message: "CompilationError in worker one's file" }) }));
  const result = await runKernelAgent({ problem, model, verify: verifier.verify, workers: 2, rounds: 2, out });
  assert.equal(verifier.calls.length, 1);
  assert.equal(result.failureStages.compile, 1);
  const second = model.promptsOf(2)[1]!;
  assert.match(second, /Not run: this file is the same as a file another worker already submitted/);
  // Worker 1's verdict stays with worker 1.
  assert.doesNotMatch(second, /CompilationError/);
  assert.match(model.promptsOf(1)[1]!, /CompilationError in worker one's file/);
});

test("when the rounds run out, the result names the budget, the best attempt and the most common failure", async () => {
  const { problem, out } = setup();
  const errs: Record<string, number> = { "w1-1": 0.9, "w1-2": 0.02, "w2-1": 0.5, "w2-2": 0 };
  const roundsOf = new Map<number | null, number>();
  const model = new ScriptedModel((_req, call, worker) => {
    const round = (roundsOf.get(worker) ?? 0) + 1;
    roundsOf.set(worker, round);
    return { text: pyReply(candidate(`vw${worker}-${round}-${call}`)) };
  });
  const verifier = scriptedVerifier((code) => {
    const [, w, r] = /# vw(\d)-(\d)/.exec(code)!;
    if (`w${w}-${r}` === "w2-2") {
      return { verdict: makeVerdict({ ok: false, stage: "compile", message: "CompilationError: bad" }) };
    }
    const err = errs[`w${w}-${r}`]!;
    return { verdict: makeVerdict({ ok: false, stage: "correctness", code: "mismatch", message: "differs", maxAbsErr: err, maxRelErr: err }) };
  });
  const result = await runKernelAgent({ problem, model, verify: verifier.verify, workers: 2, rounds: 2, out });

  assert.equal(result.status, "budget-exhausted");
  assert.equal(result.exhausted, "rounds");
  assert.equal(result.winner, null);
  assert.equal(result.bestAttempt?.worker, 1);
  assert.equal(result.bestAttempt?.round, 2);
  assert.equal(result.bestAttempt?.stage, "correctness");
  assert.ok(result.bestAttempt?.candidatePath?.endsWith("w1/round-2/candidate.py"));
  assert.deepEqual(result.failureStages, { correctness: 3, compile: 1 });
  assert.equal(result.commonFailureStage, "correctness");
  assert.match(result.message, /every worker used its 2 rounds/);
  assert.match(result.message, /Best attempt: worker 1 round 2/);
  assert.match(result.message, /Most common failure: correctness \(3 of 4\)/);
});

test("the token budget stops new requests and is reported", async () => {
  const { problem, out } = setup();
  const model = new ScriptedModel(() => ({ text: pyReply(candidate(`v-${Math.random()}`)), usage: { inputTokens: 600, outputTokens: 500 } }));
  const verifier = scriptedVerifier(() => ({ verdict: makeVerdict({ ok: false, stage: "runtime" }) }));
  const result = await runKernelAgent({ problem, model, verify: verifier.verify, workers: 1, rounds: 10, maxTokens: 3000, out });
  assert.equal(result.status, "budget-exhausted");
  assert.equal(result.exhausted, "tokens");
  assert.equal(model.requests.length, 3);
  assert.equal(result.usage.inputTokens + result.usage.outputTokens, 3300);
  assert.match(result.message, /token budget/);
});

test("the wall-time budget stops the run, aborting what is in flight", async () => {
  const { problem, out } = setup();
  const model = new ScriptedModel(() => ({ text: pyReply(candidate("v-late")), delayMs: 10_000 }));
  const verifier = scriptedVerifier(() => ({ verdict: makeVerdict({ ok: true, stage: "passed" }) }));
  const t0 = Date.now();
  const result = await runKernelAgent({ problem, model, verify: verifier.verify, workers: 2, rounds: 3, wallTimeMs: 150, out });
  assert.ok(Date.now() - t0 < 5000, "the 10 s requests were aborted");
  assert.equal(result.status, "budget-exhausted");
  assert.equal(result.exhausted, "wall-time");
  assert.equal(result.bestAttempt, null);
  assert.ok(result.workers.every((w) => w.outcome === "budget-exhausted"));
});

test("a provider failure is surfaced in the result, the events and the message", async () => {
  const { problem, out } = setup();
  const model = new ScriptedModel(() => ({ error: new Error("401 Unauthorized: invalid x-api-key") }));
  const verifier = scriptedVerifier(() => ({ verdict: makeVerdict({ ok: true, stage: "passed" }) }));
  const result = await runKernelAgent({ problem, model, verify: verifier.verify, workers: 2, rounds: 3, out });
  assert.equal(result.status, "provider-error");
  assert.equal(result.errors.length, 2);
  assert.match(result.errors[0]!, /scripted \(scripted-model\) failed: 401 Unauthorized: invalid x-api-key/);
  assert.match(result.message, /the model provider failed/);
  assert.match(result.message, /invalid x-api-key/);
  assert.equal(verifier.calls.length, 0);
  const events = parseEvents(readFileSync(result.eventsPath, "utf8"));
  assert.equal(events.filter((e) => e.kind === "model-error").length, 2);
});

test("a reply without code or cut off at the token limit is named as such", async () => {
  const { problem, out } = setup();
  const replies = [
    { text: "I would use a kernel with one program per block." },
    { text: "Plan.\n```python\nimport torch\nclass ModelNew(", finishReason: "length" as const },
    { text: pyReply("import torch\nclass Other:\n    pass") },
  ];
  const model = new ScriptedModel((_req, call) => replies[call]!);
  const verifier = scriptedVerifier(() => ({ verdict: makeVerdict({ ok: true, stage: "passed" }) }));
  const result = await runKernelAgent({ problem, model, verify: verifier.verify, workers: 1, rounds: 3, out });
  const prompts = model.promptsOf(1);
  assert.match(prompts[1]!, /no fenced code block/);
  assert.match(prompts[2]!, /closing fence is missing/);
  assert.match(prompts[2]!, /output-token limit/);
  assert.deepEqual(result.failureStages, { "no-code": 1, truncated: 1, "missing-entry": 1 });
  assert.equal(verifier.calls.length, 0);
});

test("a description becomes a checked reference problem in the run directory, and verdicts are against it", async () => {
  const { out } = setup();
  const model = new ScriptedModel((req, call) => {
    const system = req.messages[0]!.content;
    if (system.includes("reference problem")) {
      return call === 0 ? { text: pyReply("import torch\nclass Model:\n    pass") } : { text: pyReply(PROBLEM) };
    }
    return { text: pyReply(candidate("v-good")) };
  });
  const checks: string[] = [];
  const checkProblem = async ({ problem }: { problem: string }) => {
    checks.push(problem);
    const source = readFileSync(problem, "utf8");
    return source.includes("get_inputs")
      ? { ok: true, code: null, message: "ran", inputs: [{ shape: [64], dtype: "float32" }], outputs: [{ shape: [64], dtype: "float32" }] }
      : { ok: false, code: "missing_get_inputs", message: "the problem defines no get_inputs()" };
  };
  const verifier = scriptedVerifier(() => ({ verdict: makeVerdict({ ok: true, stage: "passed" }) }));
  const events: RunEvent[] = [];
  const result = await runKernelAgent({
    description: "elementwise relu of a vector of 64 floats",
    model,
    verify: verifier.verify,
    checkProblem,
    workers: 1,
    out,
    onEvent: (e) => events.push(e),
  });
  assert.equal(result.status, "verified");
  assert.equal(result.problem, join(result.runDir, "reference.py"));
  assert.equal(readFileSync(result.problem, "utf8").trim(), PROBLEM.trim());
  assert.equal(checks.length, 2);
  assert.match(model.requests[1]!.request.messages[1]!.content, /the problem defines no get_inputs\(\)/);
  const ready = events.find((e) => e.kind === "reference-ready");
  assert.ok(ready && ready.kind === "reference-ready" && ready.data.path === result.problem);
  assert.match(ready.data.summary, /float32/);
  assert.equal(verifier.calls[0]!.problem, result.problem);
  // The worker's prompt shows the reference it must match.
  assert.match(model.requests[2]!.request.messages[1]!.content, /def forward\(self, x\):\n        return torch.relu\(x\)/);
});
