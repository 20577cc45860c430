import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { projectRoot } from "../../harness/paths.js";
import { fixture } from "../../harness/testing.js";
import { VerdictSchema } from "../../harness/verdict.js";
import { EXIT } from "../exit-codes.js";

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ["--import", "tsx", join(projectRoot(), "src/cli/main.ts"), ...args], {
    encoding: "utf8",
    cwd: projectRoot(),
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test("verify --json prints only the verdict document, and exits 1 for a rejected candidate", () => {
  const r = cli("verify", "--problem", fixture("scale.py"), "--candidate", fixture("scale_torch_mul.py"),
    "--device", "cpu", "--trials", "1", "--set", "n=100", "--json");
  assert.equal(r.status, EXIT.rejected, r.stderr);
  const lines = r.stdout.trim().split("\n");
  assert.equal(lines.length, 1);
  const v = VerdictSchema.parse(JSON.parse(lines[0]!));
  assert.equal(v.code, "aten_compute_op");
});

test("verify exits 0 for an accepted candidate and prints a readable report", () => {
  const r = cli("verify", "--problem", fixture("scale.py"), "--candidate", fixture("scale_triton.py"),
    "--device", "cpu", "--trials", "2", "--set", "n=100");
  assert.equal(r.status, EXIT.ok, r.stdout + r.stderr);
  assert.match(r.stdout, /^ACCEPTED: 2 trials matched the reference/);
  assert.match(r.stdout, /Triton interpreter/);
  assert.match(r.stderr, /\[verify\] trial 1\/2 ok/); // progress goes to stderr, never stdout
  assert.doesNotMatch(r.stdout, /\[verify\]/);
});

test("bad input gets its own exit status and a sentence", () => {
  const missing = cli("verify", "--problem", "nope.py", "--candidate", fixture("scale_triton.py"), "--device", "cpu");
  assert.equal(missing.status, EXIT.problemNotFound);
  assert.match(missing.stderr, /problem not found: .*nope\.py/);
  const noCandidate = cli("verify", "--problem", fixture("scale.py"), "--candidate", "nope.py", "--device", "cpu");
  assert.equal(noCandidate.status, EXIT.problemNotFound, "a missing candidate is missing input, not a rejection");
  assert.match(noCandidate.stderr, /candidate not found: .*nope\.py/);
  assert.doesNotMatch(noCandidate.stdout + noCandidate.stderr, /REJECTED/);
  const badSet = cli("verify", "--problem", fixture("scale.py"), "--candidate", fixture("scale_triton.py"), "--set", "n");
  assert.equal(badSet.status, EXIT.usage);
  assert.match(badSet.stderr, /expected NAME=VALUE/);
  const unknown = cli("verify", "--problem", fixture("scale.py"), "--candidate", fixture("scale_triton.py"),
    "--device", "cpu", "--set", "batch=3");
  assert.equal(unknown.status, EXIT.usage);
  assert.match(unknown.stdout, /^NOT RUN: bad option: .*no module constant 'batch'/);
});

test("a timeout in the interpreter says why and suggests --set, rather than only REJECTED", () => {
  const r = cli("verify", "--problem", fixture("scale.py"), "--candidate", fixture("spin_forward.py"),
    "--device", "cpu", "--trials", "1", "--set", "n=100", "--timeout", "2");
  assert.equal(r.status, EXIT.rejected, r.stderr);
  assert.match(r.stdout, /^REJECTED at timeout/);
  assert.match(r.stdout, /Triton's interpreter runs kernels on the CPU.*Check at small sizes \(--set NAME=VALUE\) or give more time with --timeout SECONDS/s);
  assert.match(r.stdout, /Triton launches over all trials/);
});

test("bench without a GPU says it needs one, with its own status", { skip: readdirSync("/dev").some((d) => /^nvidia\d+$/.test(d)) }, () => {
  const r = cli("bench", "--problem", fixture("scale.py"), "--candidate", fixture("scale_triton.py"), "--set", "n=100");
  assert.equal(r.status, EXIT.needsGpu, r.stdout + r.stderr);
  assert.match(r.stdout, /^NOT RUN: this needs a CUDA GPU, and none is visible: /);
  assert.doesNotMatch(r.stdout, /REJECTED/);
});
