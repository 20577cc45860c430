import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { PipelineEventSchema } from "./events.js";
import { decideRoute, RouteCache, staticFeatures } from "./router.js";
import { runPipeline } from "./run-pipeline.js";
import { scriptedDeps } from "./testing/scripted-deps.js";

const here = fileURLToPath(new URL(".", import.meta.url));

function problemFile(dir: string): string {
  const p = join(dir, "problem.py");
  writeFileSync(p, "import torch\nclass Model(torch.nn.Module):\n    def forward(self, x):\n        if x.sum() > 0:\n            return x.relu()\n        return x\n");
  return p;
}

function child(args: string[]): { done: Promise<string>; kill: () => void } {
  // node itself with tsx's loader (not the tsx launcher, which runs node as a child), so SIGKILL
  // reaches the process that runs the pipeline
  const c = spawn(process.execPath, ["--import", "tsx", join(here, "testing", "resume-child.ts"), ...args], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  c.stdout.on("data", (d) => (out += d));
  return { done: new Promise((res) => c.on("exit", () => res(out))), kill: () => c.kill("SIGKILL") };
}

test("a run killed with SIGKILL mid-dispatch resumes without regenerating verified kernels", { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "tritonize-resume-"));
  const runs = join(dir, "runs");
  const first = child([problemFile(dir), runs]);
  // wait for the first verified kernel, then kill the process outright
  let runDir = "";
  for (let i = 0; i < 400; i++) {
    await new Promise((r) => setTimeout(r, 50));
    const d = existsSync(runs) ? readdirSync(runs)[0] : undefined;
    if (d && existsSync(join(runs, d, "events.jsonl")) && readFileSync(join(runs, d, "events.jsonl"), "utf8").includes('"stage":"dispatch","subgraph":"sg1","kind":"completed"')) {
      runDir = join(runs, d);
      break;
    }
  }
  assert.ok(runDir, "the first run never verified sg1");
  first.kill();
  await first.done;
  assert.ok(!existsSync(join(runDir, "summary.json")), "the killed run must not have finished");

  const second = JSON.parse(await child([problemFile(dir), runs, runDir]).done);
  assert.equal(second.ok, true, second.message);
  assert.ok(!second.solved.includes("sg1"), `sg1 was regenerated: ${second.solved}`);
  const events = readFileSync(join(runDir, "events.jsonl"), "utf8").trim().split("\n").map((l) => PipelineEventSchema.parse(JSON.parse(l)));
  const of = (sg: string, kind: string) => events.filter((e) => e.stage === "dispatch" && e.subgraph === sg && e.kind === kind).length;
  assert.equal(of("sg1", "started"), 1);
  assert.equal(of("sg1", "reused"), 1);
  assert.equal(of("sg3", "completed"), 1);
  assert.ok(events.some((e) => e.stage === "fuse" && e.kind === "reused"), "the finished fuse stage is reused");
});

test("a failed subgraph is reported with its verdicts and does not hide the others", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tritonize-dispatch-"));
  const deps = scriptedDeps({ subgraphs: 3, failing: ["sg2"] });
  const r = await runPipeline({ problem: problemFile(dir), outDir: join(dir, "runs"), noFallback: true, outputFormat: "composed" }, deps);
  assert.equal(r.ok, false);
  assert.equal(r.status, "dispatch_failed");
  assert.deepEqual(r.pipeline!.kernels.map((k) => `${k.id}:${k.ok}`), ["sg1:true", "sg2:false", "sg3:true"]);
  assert.equal(r.pipeline!.kernels[1]!.failures[0]!.verdicts[0]!.code, "mismatch");
  assert.match(r.message, /sg2: no kernel for sg2/);
  assert.equal(r.attempts.length, 1, "--no-fallback tries one route");
});

test("when the chosen route fails the other is tried, and --route forces one", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tritonize-fallback-"));
  const failing = scriptedDeps({ subgraphs: 1, failing: ["sg1"] });
  const r = await runPipeline({ problem: problemFile(dir), outDir: join(dir, "runs"), outputFormat: "composed" }, failing);
  assert.deepEqual(r.attempts.map((a) => `${a.route}:${a.ok}`), ["pipeline:false", "direct:false"]);
  const forced = await runPipeline({ problem: problemFile(dir), outDir: join(dir, "runs"), route: "direct", noFallback: true }, scriptedDeps({ subgraphs: 1 }));
  assert.equal(forced.decision!.source, "forced");
  assert.deepEqual(forced.attempts.map((a) => a.route), ["direct"]);
  const route = JSON.parse(readFileSync(join(forced.runDir, "route.json"), "utf8"));
  assert.equal(route.route, "direct");
});

test("when a route finds the problem itself broken, its reason leads the message", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tritonize-broken-"));
  const deps = scriptedDeps({ subgraphs: 1, failing: ["sg1"], direct: { status: "problem_failed", message: "Model.forward raised: RuntimeError: expected scalar type Float" } });
  const r = await runPipeline({ problem: problemFile(dir), outDir: join(dir, "runs"), outputFormat: "composed" }, deps);
  assert.deepEqual(r.attempts.map((a) => `${a.route}:${a.status}`), ["pipeline:dispatch_failed", "direct:problem_failed"]);
  assert.equal(r.status, "problem_failed");
  assert.match(r.message, /^direct: Model\.forward raised: RuntimeError: expected scalar type Float \| pipeline: /);
});

test("route decisions are cached by content hash", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tritonize-route-cache-"));
  const deps = { ...scriptedDeps({ subgraphs: 1 }), routeCache: new RouteCache(join(dir, "cache")) };
  const a = await runPipeline({ problem: problemFile(dir), outDir: join(dir, "runs"), outputFormat: "composed" }, deps);
  const b = await runPipeline({ problem: problemFile(dir), outDir: join(dir, "runs"), outputFormat: "composed" }, deps);
  assert.equal(a.decision!.source, "decided");
  assert.equal(b.decision!.source, "cached");
  assert.equal(b.decision!.route, "pipeline");
});

test("the router: control flow or helper classes take the pipeline, a straight line the direct route", () => {
  const loop = "class Model(nn.Module):\n    def forward(self, x):\n        for blk in self.blocks:\n            x = blk(x)\n        return x\n";
  const f = staticFeatures(loop + "self.blocks = nn.ModuleList()\n", null);
  assert.deepEqual(f.controlFlow, ["for"]);
  assert.equal(decideRoute(f).route, "pipeline");
  const line = "class Model(nn.Module):\n    def forward(self, x):\n        return torch.relu(x)\n";
  const straight = { ...staticFeatures(line, null), captured: true, chainLength: 1 };
  assert.equal(decideRoute(straight).route, "direct");
  assert.equal(decideRoute({ ...straight, initHelpers: ["Block"] }).route, "pipeline");
});
