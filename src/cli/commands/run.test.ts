import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { projectRoot } from "../../harness/paths.js";
import { fixture } from "../../harness/testing.js";
import { EXIT } from "../exit-codes.js";

/** `tritonize run` through the real command line, at tiny sizes on the CPU. */

const out = mkdtempSync(join(tmpdir(), "tritonize-run-cli-"));
after(() => rmSync(out, { recursive: true, force: true }));

// No provider: the offline author, and "--author model" has nothing to drive it.
const NO_PROVIDER = { OPENAI_API_KEY: "", ANTHROPIC_API_KEY: "", OPENAI_BASE_URL: "", ANTHROPIC_BASE_URL: "", TRITONIZE_MODEL: "" };

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ["--import", "tsx", join(projectRoot(), "src/cli/main.ts"), ...args], {
    encoding: "utf8",
    cwd: projectRoot(),
    env: { ...process.env, ...NO_PROVIDER },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test("a Model with no __init__ of its own becomes a verified model_new.py; the sizes are recorded and said", () => {
  const r = cli("run", "--problem", fixture("no_init_relu.py"), "--device", "cpu", "--trials", "1", "--set", "n=32", "--out", join(out, "a"));
  assert.equal(r.status, EXIT.ok, r.stdout + r.stderr);
  assert.match(r.stdout, /^VERIFIED/);
  assert.match(r.stdout, /sizes: n=32\n\s+model_new\.py was verified at n=32 only/);
  assert.match(r.stderr, /\[run\] capturing the graph of no_init_relu\.py at n=32\n\[run\] offline author: 1 Triton kernel\n\[run\] verifying/);
  assert.match(r.stderr, /\[verify\] trial 1\/1 ok/);
  const [id] = readdirSync(join(out, "a"));
  const dir = join(out, "a", id!);
  const model = readFileSync(join(dir, "model_new.py"), "utf8");
  assert.doesNotMatch(model, /__setattr__|_log_api_usage_once/);
  const summary = JSON.parse(readFileSync(join(dir, "summary.json"), "utf8"));
  assert.deepEqual(summary.sets, { n: "32" });
  assert.deepEqual(summary.kernelNames, ["k0_pointwise"]);
  assert.equal(summary.modelNewVerdict, "verified");
  const readme = readFileSync(join(dir, "README.md"), "utf8");
  assert.match(readme, /\*\*VERIFIED\*\*/);
  assert.match(readme, /sizes: `n=32`/);
  assert.match(readme, /`model_new\.py`: the KernelBench `ModelNew` \(verified\)/);
});

test("a problem that does not load exits with verify's status for it, not 1", () => {
  const r = cli("run", "--problem", fixture("syntax_error_problem.py"), "--device", "cpu", "--out", join(out, "b"));
  assert.equal(r.status, EXIT.problemSyntax, r.stdout + r.stderr);
  assert.match(r.stdout, /NOT VERIFIED .*syntax/i);
});

test("bad input is named for what it is, before any work", () => {
  const dir = cli("run", "--problem", fixture(""), "--out", join(out, "c"));
  assert.equal(dir.status, EXIT.problemNotFound);
  assert.match(dir.stderr, /problem is a directory, not a file/);
  const badSet = cli("run", "--problem", fixture("scale.py"), "--set", "n=abc", "--out", join(out, "c"));
  assert.equal(badSet.status, EXIT.usage);
  assert.match(badSet.stderr, /n=abc: the value must be a Python literal: a number/);
  assert.doesNotMatch(badSet.stderr, /ast\.|Name object|--help\n.*Options/s);
  assert.match(badSet.stderr, /see 'tritonize run --help'/);
  const model = cli("run", "--problem", fixture("scale.py"), "--author", "model", "--out", join(out, "c"));
  assert.equal(model.status, EXIT.usage);
  assert.match(model.stderr, /--author model needs a language model provider: set OPENAI_API_KEY/);
  assert.doesNotMatch(model.stderr, /offline/);
  assert.ok(!readdirSync(out).includes("c"), "no run directory for bad input");
});

test("--device cuda without a GPU fails before any authoring", { skip: hasGpu() }, () => {
  const r = cli("run", "--problem", fixture("scale.py"), "--device", "cuda", "--out", join(out, "d"));
  assert.equal(r.status, EXIT.needsGpu, r.stdout + r.stderr);
  assert.match(r.stderr, /no CUDA GPU is visible/);
  assert.ok(!readdirSync(out).includes("d"));
});

test("--version, and every --help lists its exit statuses and an example", () => {
  const v = cli("--version");
  assert.equal(v.status, 0);
  assert.equal(v.stdout.trim(), JSON.parse(readFileSync(join(projectRoot(), "package.json"), "utf8")).version);
  for (const command of ["run", "verify", "bench", "capture", "kernel", "doctor", "models"]) {
    const h = cli(command, "--help");
    assert.equal(h.status, 0, command);
    assert.match(h.stdout, /Exit status: 0 /, command);
    if (command !== "models") assert.match(h.stdout, /130\s+interrupted/, command);
    assert.match(h.stdout, new RegExp(`Example:\\n  tritonize ${command} `), command);
  }
  assert.match(cli("run", "--help").stdout, /--author <mode>[^]*default:\s+auto when a model provider is configured,\s+else offline/);
});

function hasGpu(): boolean {
  try {
    return readdirSync("/dev").some((d) => /^nvidia\d+$/.test(d));
  } catch {
    return false;
  }
}
