import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { projectRoot } from "../../harness/paths.js";
import { problemFolder, tempDir } from "../../suite/testing.js";
import { EXIT } from "../exit-codes.js";

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ["--import", "tsx", join(projectRoot(), "src/cli/main.ts"), "suite", ...args], {
    encoding: "utf8",
    cwd: projectRoot(),
    env: { ...process.env, PATH: "/usr/bin:/bin" }, // no nvidia-smi: a host without GPUs
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test("suite: bad paths and contradictory options are refused with a sentence and their own status", () => {
  const out = join(tempDir("suite-cli"), "out");
  const missing = cli("/nonexistent/level1", "--out", out);
  assert.equal(missing.status, EXIT.problemNotFound);
  assert.match(missing.stderr, /tritonize suite: not found: \/nonexistent\/level1/);

  const empty = join(tempDir("suite-cli"), "level2");
  mkdirSync(empty);
  const none = cli(empty, "--out", out);
  assert.equal(none.status, EXIT.usage);
  assert.match(none.stderr, /no problem files in .*level2/);

  const notProblem = join(empty, "util.py");
  writeFileSync(notProblem, "x = 1\n");
  const bad = cli(notProblem, "--out", out);
  assert.equal(bad.status, EXIT.usage);
  assert.match(bad.stderr, /util\.py is not a problem file: it lacks class Model/);

  const problems = problemFolder(["1_a.py"]);
  const noGpu = cli(problems, "--gpus", "0", "--out", out);
  assert.equal(noGpu.status, EXIT.usage);
  assert.match(noGpu.stderr, /--gpus was given but this host has no GPU/);
  const badGpus = cli(problems, "--gpus", "first", "--out", out);
  assert.equal(badGpus.status, EXIT.usage);
  assert.match(badGpus.stderr, /use all or GPU indices/);

  const resumeNothing = cli("--resume", "--out", out);
  assert.equal(resumeNothing.status, EXIT.usage);
  assert.match(resumeNothing.stderr, /nothing to resume in .*out/);
  const resumeChanged = cli("--resume", "--out", out, "--trials", "3", "--set", "n=2");
  assert.equal(resumeChanged.status, EXIT.usage);
  assert.match(resumeChanged.stderr, /--resume keeps the settings the suite started with; leave out --trials, --set/);
});
