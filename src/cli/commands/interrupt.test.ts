import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { pyReply } from "../../agent/testing/scripted-model.js";
import { projectRoot } from "../../harness/paths.js";
import { fixture } from "../../harness/testing.js";
import { startOpenAIServer } from "../../llm/testing/openai-server.js";
import { EXIT } from "../exit-codes.js";

/**
 * Ctrl-C on the real command: a candidate spins forever; SIGINT to `tritonize` must end the
 * harness and the candidate's worker, remove their temp folders and exit 130. The processes of
 * the run are found by a marker in their environment (the harness) and by a working directory
 * inside the test's own TMPDIR (the candidate's worker, whose environment is allowlisted).
 */

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Folders tritonize makes in TMPDIR (tsx's and torch's caches there are theirs). */
const ownTemp = (dir: string) => readdirSync(dir).filter((f) => f.startsWith("tritonize-"));

/** pids whose working directory is inside dir, or whose environment carries the mark. */
function processesOf(mark: string | null, dir: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readlinkSync(`/proc/${entry}/cwd`).startsWith(dir)) found.push(Number(entry));
      else if (mark && readFileSync(`/proc/${entry}/environ`, "utf8").split("\0").includes(`TRITONIZE_TEST_MARK=${mark}`)) found.push(Number(entry));
    } catch {
      // gone, or not ours to read
    }
  }
  return found;
}

/** Starts the CLI, waits until the candidate runs in a process inside dir (after `ready` is printed), sends SIGINT. */
async function interruptWhenSpinning(args: string[], env: Record<string, string>, ready = "") {
  const dir = mkdtempSync(join(tmpdir(), "tritonize-ctrlc-"));
  const mark = randomBytes(6).toString("hex");
  const child = spawn(process.execPath, ["--import", "tsx", join(projectRoot(), "src/cli/main.ts"), ...args.map((a) => a.replace("$DIR", dir))], {
    cwd: projectRoot(),
    env: { ...process.env, ...env, TMPDIR: dir, TRITONIZE_TEST_MARK: mark },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  // only candidate processes work inside the TMPDIR (the CLI and the harness work in the
  // project); ready ones of a pool wait on their pipe, the spinning candidate's runs
  const running = (pid: number) => {
    try {
      return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.startsWith("R") ?? false;
    } catch {
      return false;
    }
  };
  const spinning = () => output.includes(ready) && processesOf(null, dir).some(running);
  for (let i = 0, seen = 0; i < 900 && seen < 5 && child.exitCode === null; i++) {
    seen = spinning() ? seen + 1 : 0;
    await sleep(100);
  }
  assert.ok(spinning(), `the candidate never ran:\n${output}`);
  child.kill("SIGINT");
  const code = await exited;
  return { code, output, dir, mark };
}

test("SIGINT to verify on a spinning candidate ends every process and leaves no temp folder", async () => {
  const r = await interruptWhenSpinning(
    ["verify", "--problem", fixture("scale.py"), "--candidate", fixture("spin_forward.py"), "--device", "cpu", "--trials", "1", "--set", "n=100"],
    {},
  );
  try {
    assert.equal(r.code, EXIT.interrupted, r.output);
    assert.match(r.output, /interrupted by SIGINT/);
    assert.deepEqual(processesOf(r.mark, r.dir), []);
    assert.deepEqual(ownTemp(r.dir), [], "temp folders were left behind");
  } finally {
    rmSync(r.dir, { recursive: true, force: true });
  }
});

test("SIGINT to run while the kernel agent verifies a spinning candidate marks the run interrupted", async () => {
  const server = await startOpenAIServer({ steps: [{ reply: { text: pyReply(readFileSync(fixture("spin_forward.py"), "utf8")) } }], repeatLast: true });
  let r: Awaited<ReturnType<typeof interruptWhenSpinning>> | undefined;
  try {
    r = await interruptWhenSpinning(
      ["run", "--problem", fixture("scale.py"), "--author", "model", "--device", "cpu", "--trials", "1", "--set", "n=100",
        "--workers", "1", "--rounds", "1", "--wall-time", "600", "--out", "$DIR/runs"],
      { OPENAI_BASE_URL: server.url, TRITONIZE_MODEL: "test-model", TRITONIZE_MAX_RETRIES: "0" },
      // the worker's candidate under verification: before it, the agent's check of the problem
      // runs the reference in a process of its own, which also counts as running
      "r1 verifying",
    );
    assert.equal(r.code, EXIT.interrupted, r.output);
    assert.deepEqual(processesOf(r.mark, r.dir), []);
    assert.deepEqual(ownTemp(r.dir), [], "temp folders were left behind");
    const [runId] = readdirSync(join(r.dir, "runs"));
    const runDir = join(r.dir, "runs", runId!);
    const summary = JSON.parse(readFileSync(join(runDir, "summary.json"), "utf8"));
    assert.equal(summary.status, "interrupted");
    assert.match(summary.message, /interrupted during author/);
    const events = readFileSync(join(runDir, "events.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    assert.equal(events.at(-1).kind, "interrupted");
    assert.match(readFileSync(join(runDir, "README.md"), "utf8"), /INTERRUPTED/);
    // the direct route's own directory says so too
    const [directId] = readdirSync(join(runDir, "direct"));
    const directDir = join(runDir, "direct", directId!);
    assert.equal(JSON.parse(readFileSync(join(directDir, "summary.json"), "utf8")).status, "interrupted");
    // run's --workers, --rounds and --wall-time reached the kernel agent
    const agent = JSON.parse(readFileSync(join(directDir, "agent", "result.json"), "utf8"));
    assert.equal(agent.status, "aborted");
    assert.equal(agent.workers.length, 1);
    assert.deepEqual([agent.budgets.rounds, agent.budgets.wallTimeMs], [1, 600_000]);
  } finally {
    await server.close();
    if (r) rmSync(r.dir, { recursive: true, force: true });
  }
});
