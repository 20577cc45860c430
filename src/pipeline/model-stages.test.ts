import { strict as assert } from "node:assert";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { makeVerdict } from "../agent/testing/scripted-verifier.js";
import { pyReply, ScriptedModel } from "../agent/testing/scripted-model.js";
import type { PipelineEvent } from "./events.js";
import { eventLine } from "./render.js";
import type { RegionsFn } from "./harness-calls.js";
import { runPipeline, type PipelineDeps } from "./run-pipeline.js";
import { scriptedDeps } from "./testing/scripted-deps.js";

/**
 * The model-driven fuser and composer with scripted models and no harness behind them: what each
 * stage does with replies it cannot use, within its budget, and what it keeps for --resume.
 */

const PROBLEM = `import torch


class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        with torch.no_grad():
            y = x.relu()
        if y.sum() > 0:
            return y
        return -y
`;

const FUSED = `import torch


class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        with torch.no_grad():
            y, = self._tz_r1(x)
        if self._tz_c2(y):
            return y
        return self._tz_r3(y)

    def _tz_r1(self, x):
        y = x.relu()
        return (y,)

    def _tz_c2(self, y):
        return y.sum() > 0

    def _tz_r3(self, y):
        return -y
`;

const MANIFEST = {
  regions: [
    { method: "_tz_r1", kind: "block", lines: [10, 10] },
    { method: "_tz_c2", kind: "cond", lines: [11, 11] },
    { method: "_tz_r3", kind: "return", lines: [13, 13] },
  ],
  kept: ["with torch.no_grad() at line 9"],
};

function fuserReply(manifest: string, code = FUSED): string {
  return `The rewrite.\n\n\`\`\`json\n${manifest}\n\`\`\`\n\n\`\`\`python\n${code}\`\`\`\n`;
}

const REFUSAL = { schema: "tritonize.regions/1" as const, ok: false as const, code: "unhandled", construct: "with", line: 9, message: "the deterministic fuser does not handle with at line 9: a statement the deterministic fuser does not cut" };

function setup(): { dir: string; problem: string } {
  const dir = mkdtempSync(join(tmpdir(), "tritonize-model-stages-"));
  const problem = join(dir, "problem.py");
  writeFileSync(problem, PROBLEM);
  return { dir, problem };
}

/** The deterministic fuser refuses; a model rewrite is adopted as `adopt` says (the scripted plan, fused.py kept). */
function fuseDeps(adopt: (fused: string) => { fusedMaxAbsErr?: number; message?: string }): { deps: PipelineDeps; adopted: string[] } {
  const deps = scriptedDeps({ subgraphs: 1 });
  const plan = deps.regions;
  const adopted: string[] = [];
  const regions: RegionsFn = async (r) => {
    if (!r.fused) return { ...REFUSAL, problem: r.problem };
    const code = readFileSync(r.fused, "utf8");
    adopted.push(code);
    const verdict = adopt(code);
    if (verdict.message) return { ...REFUSAL, problem: r.problem, code: "unhandled", message: verdict.message };
    const p = await plan(r);
    writeFileSync(r.fused, code);
    return p.ok ? { ...p, fused: r.fused, fusedMaxAbsErr: verdict.fusedMaxAbsErr ?? 0, fusedBy: "model" } : p;
  };
  return { deps: { ...deps, regions }, adopted };
}

const of = (events: PipelineEvent[], stage: string) => events.filter((e) => e.stage === stage).map((e) => `${e.kind}${e.data.attempt ? `#${e.data.attempt}` : ""}`);
function events(runDir: string): PipelineEvent[] {
  return readFileSync(join(runDir, "events.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
}

test("the model fuser re-asks a reply with no code, invalid JSON or a manifest off its schema, then adopts a rewrite", async () => {
  const { dir, problem } = setup();
  const replies = [
    "I would move the relu into a method of its own.",
    fuserReply('{"regions": [{"method": "_tz_r1", "kind": "block", "lines": [10, 10]},]}'),
    fuserReply(JSON.stringify({ ...MANIFEST, regions: [{ method: "_tz_r1", kind: "loop", lines: [10, 10] }] })),
    fuserReply(JSON.stringify(MANIFEST)),
  ];
  const model = new ScriptedModel((_r, call) => ({ text: replies[call] }));
  const { deps, adopted } = fuseDeps(() => ({}));
  const r = await runPipeline({ problem, outDir: join(dir, "runs"), noFallback: true, outputFormat: "composed", fuserAttempts: 4 }, { ...deps, fuser: model });
  assert.equal(r.ok, true, r.message);
  const ev = events(r.runDir);
  assert.deepEqual(of(ev, "fuse"), ["started", "failed", "started#1", "failed#1", "started#2", "failed#2", "started#3", "failed#3", "started#4", "completed#4", "completed"]);
  const reasons = ev.filter((e) => e.stage === "fuse" && e.kind === "failed" && e.data.attempt).map((e) => String(e.data.reason));
  assert.match(reasons[0]!, /^no code: Your reply had no fenced code block/);
  assert.match(reasons[1]!, /^invalid JSON in the manifest: /);
  assert.match(reasons[2]!, /^the manifest does not fit its schema: regions\.0\.kind: /);
  // each re-ask carries the exact reason, after the reply it answers
  const second = model.requests[1]!.request.messages;
  assert.equal(second.at(-2)!.content, replies[0]);
  assert.ok(second.at(-1)!.content.includes(reasons[0]!), second.at(-1)!.content);
  assert.match(model.requests[0]!.request.messages[1]!.content, /with at line 9/, "the first prompt says why the deterministic fuser stopped");
  assert.equal(adopted.length, 1, "only a reply that parses reaches the harness");
  const outcome = JSON.parse(readFileSync(join(r.runDir, "fuser", "attempt-3", "outcome.json"), "utf8"));
  assert.deepEqual(outcome, { accepted: false, reason: reasons[2] });
  assert.equal(readFileSync(join(r.runDir, "fuser", "attempt-4", "response.md"), "utf8"), replies[3]);
  assert.equal(readFileSync(join(r.runDir, "fused.py"), "utf8"), FUSED, "the accepted rewrite is the run's fused.py");
});

test("a rewrite that changes the result or breaks the convention is re-asked; an exhausted budget fails the fuse stage with every reason", async () => {
  const { dir, problem } = setup();
  const changed = FUSED.replace("return -y", "return -2 * y");
  const unpacked = FUSED.replace("y, = self._tz_r1(x)", "y = self._tz_r1(x)[0]");
  const replies = [changed, FUSED.replace("super().__init__()", "super().__init__()\n        self.k = 2"), unpacked].map((c) => fuserReply(JSON.stringify(MANIFEST), c));
  const model = new ScriptedModel((_r, call) => ({ text: replies[call] }));
  const refusal = "the fused module was not adopted: call of _tz_r1 at line 10: a block region's call unpacks the tuple it returns";
  const { deps } = fuseDeps((code) => (code === unpacked ? { message: refusal } : { fusedMaxAbsErr: code.includes("-2 * y") ? 0.75 : 0 }));
  const r = await runPipeline({ problem, outDir: join(dir, "runs"), noFallback: true, fuserAttempts: 3 }, { ...deps, fuser: model });
  assert.equal(r.ok, false);
  assert.equal(r.status, "fuse_failed");
  assert.match(r.message, /with at line 9/);
  assert.match(r.message, /model fuser: no attempt accepted within its budget of 3/);
  assert.match(r.message, /attempt 1: fused\.py changes the result: its outputs differ from the problem's by up to 0\.75/);
  assert.match(r.message, /attempt 2: Model\.__init__ is not the problem's Model\.__init__ \(line 3 of it: expected "\(end\)", got "self\.k = 2"\)/);
  assert.ok(r.message.includes(`attempt 3: ${refusal}`), r.message);
  assert.ok(model.requests[1]!.request.messages.at(-1)!.content.includes("changes the result"), "the re-ask gives the verdict");
  assert.equal(model.requests.length, 3, "the budget bounds the requests");
  const last = events(r.runDir).filter((e) => e.stage === "fuse").at(-1)!;
  assert.equal(last.kind, "failed");
  assert.equal(last.data.attempts, 3);

  // --resume asks again, numbering its attempts after the spent ones
  const retried = new ScriptedModel(() => ({ text: fuserReply(JSON.stringify(MANIFEST)) }));
  const again = await runPipeline({ problem, resume: r.runDir, noFallback: true, outputFormat: "composed", fuserAttempts: 1 }, { ...deps, fuser: retried });
  assert.equal(again.ok, true, again.message);
  assert.deepEqual(JSON.parse(readFileSync(join(r.runDir, "fuser", "attempt-4", "outcome.json"), "utf8")), { accepted: true });
  const started = events(r.runDir).filter((e) => e.stage === "fuse" && e.kind === "started" && e.data.attempt === 4)[0]!;
  assert.equal(eventLine(started), "[fuse] started: model, attempt 4 of 4");
});

test("without a provider the fuse stage fails naming the construct and its line, and asks nobody", async () => {
  const { dir, problem } = setup();
  const { deps } = fuseDeps(() => ({}));
  const r = await runPipeline({ problem, outDir: join(dir, "runs"), noFallback: true }, { ...deps, fuser: null });
  assert.equal(r.status, "fuse_failed");
  assert.equal(r.pipeline!.message, REFUSAL.message);
  assert.ok(!existsSync(join(r.runDir, "fuser")));
});

test("a model request that fails ends the stage at once, saying which stage and attempt", async () => {
  const { dir, problem } = setup();
  const model = new ScriptedModel(() => ({ error: new Error("HTTP 529: overloaded (after 4 retries)") }));
  const { deps } = fuseDeps(() => ({}));
  const r = await runPipeline({ problem, outDir: join(dir, "runs"), noFallback: true, fuserAttempts: 3 }, { ...deps, fuser: model });
  assert.equal(r.status, "fuse_failed");
  assert.match(r.message, /model fuser: the model request of attempt 1 failed: HTTP 529: overloaded/);
  assert.equal(model.requests.length, 1);
});

const COMPOSED = `import torch
import triton


class ModelNew(torch.nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        with torch.no_grad():
            y, = self._tz_r1(x)
        if self._tz_c2(y):
            return y
        return self._tz_r3(y)

    def _tz_r1(self, x):
        return (_sg1_run(x)[0],)
`;

test("the model composer is re-asked with the verdict, keeps forward's control flow, and --resume reuses its composed.py", async () => {
  const { dir, problem } = setup();
  const deps = scriptedDeps({ subgraphs: 1 });
  const plan = deps.regions;
  const regions: RegionsFn = async (r) => {
    const p = await plan(r);
    writeFileSync(join(r.outDir, "fused.py"), FUSED);
    return p;
  };
  const flattened = COMPOSED.replace("        if self._tz_c2(y):\n            return y\n        return self._tz_r3(y)", "        return y if self._tz_c2(y) else self._tz_r3(y)");
  const wrong = COMPOSED.replace("(x)[0],)", "(x)[0] * 0,)");
  const replies = [pyReply(flattened), pyReply(wrong), pyReply(COMPOSED)];
  const model = new ScriptedModel((_r, call) => ({ text: replies[call] }));
  const verified: string[] = [];
  const verify: PipelineDeps["verify"] = async (v) => {
    const code = readFileSync(v.candidate, "utf8");
    verified.push(v.candidate);
    return code.includes("* 0")
      ? makeVerdict({ ok: false, stage: "correctness", code: "mismatch", message: "REJECTED: output 0 differs: max abs err 1.5 at index [0, 2] (ref 1.5, got 0)" })
      : makeVerdict({ ok: true, stage: "correctness", message: "ACCEPTED: 1 trials matched the reference" });
  };
  const compose: PipelineDeps["compose"] = async () => ({ schema: "tritonize.composed/1", ok: false, path: null, message: "the deterministic composer does not handle region r1 at line 10: its 2 different subgraphs cannot be told apart by Python values or shapes" });
  const all = { ...deps, regions, compose, verify, composer: model };
  const r = await runPipeline({ problem, outDir: join(dir, "runs"), noFallback: true, outputFormat: "composed", composerAttempts: 3 }, all);
  assert.equal(r.ok, true, r.message);
  const ev = events(r.runDir);
  assert.deepEqual(of(ev, "compose"), ["started", "failed", "started#1", "failed#1", "started#2", "failed#2", "started#3", "completed#3"]);
  const reasons = ev.filter((e) => e.stage === "compose" && e.data.attempt && e.kind === "failed").map((e) => String(e.data.reason));
  assert.match(reasons[0]!, /^ModelNew\.forward is not fused\.py's forward \(line 4 of it: expected "if self\._tz_c2\(y\):", got "return y if self\._tz_c2\(y\) else self\._tz_r3\(y\)"\)/);
  assert.match(reasons[1]!, /^composed\.py was rejected at correctness: REJECTED: output 0 differs: max abs err 1\.5/);
  assert.ok(model.requests[2]!.request.messages.at(-1)!.content.includes("max abs err 1.5 at index [0, 2]"), "the re-ask carries the verdict");
  assert.match(model.requests[0]!.request.messages[1]!.content, /cannot be told apart/);
  assert.equal(verified.length, 2, "a reply that changes forward is refused before it is run");
  assert.match(verified[1]!, /composer\/attempt-3\/composed\.py$/);
  assert.equal(readFileSync(join(r.runDir, "composed.py"), "utf8"), COMPOSED.trimEnd() + "\n");
  assert.ok(existsSync(join(r.runDir, "composer", "attempt-2", "composed.verdict.default.json")));

  const again = await runPipeline({ problem, resume: r.runDir, noFallback: true, outputFormat: "composed" }, all);
  assert.equal(again.ok, true, again.message);
  assert.equal(model.requests.length, 3, "the accepted composed.py is reused, the model is not asked again");
  assert.equal(events(r.runDir).filter((e) => e.stage === "compose").at(-1)!.kind, "reused");
});
