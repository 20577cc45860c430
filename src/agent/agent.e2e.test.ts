import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runKernelAgent } from "./agent.js";
import { resolveConfig } from "../config/config.js";
import { createModel } from "../config/create-model.js";
import { verifyCandidate } from "../harness/verify.js";
import { resolvePython } from "../harness/python.js";
import { parseVerdict } from "../harness/verdict.js";
import { projectRoot } from "../harness/paths.js";
import { startOpenAIServer } from "../llm/testing/openai-server.js";
import { pyReply } from "./testing/scripted-model.js";
import type { RunEvent } from "../runs/events.js";

/**
 * End to end on CPU: the real provider against a scripted wire server, the real harness through
 * Triton's interpreter. The first reply cheats (the arithmetic runs in PyTorch in the wrapper),
 * the harness catches it, the feedback says so, and the second reply (the example's reference
 * solution) is verified. Small sizes from examples/problems/small.json keep it to seconds.
 */

const root = projectRoot();
const problem = join(root, "examples/problems/01_swish_bias.py");
const solution = readFileSync(join(root, "examples/solutions/01_swish_bias.py"), "utf8");
const cheat = `import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def copy_kernel(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    tl.store(out_ptr + offs, tl.load(x_ptr + offs, mask=offs < n), mask=offs < n)


class ModelNew(nn.Module):
    def __init__(self, bias: float):
        super().__init__()
        self.bias = bias

    def forward(self, x):
        out = torch.empty_like(x)
        copy_kernel[(triton.cdiv(x.numel(), 1024),)](x, out, x.numel(), BLOCK=1024)
        return out * torch.sigmoid(out) + self.bias
`;

let harnessReady = true;
try {
  await resolvePython();
} catch {
  harnessReady = false;
}

test("on CPU, a scripted run on an example problem ends with a kernel verified by the interpreter", { skip: harnessReady ? false : "the harness's Python environment is not set up (npm run setup)", timeout: 120_000 }, async () => {
  const server = await startOpenAIServer([{ reply: { text: pyReply(cheat, "Compute in the wrapper.") } }, { reply: { text: pyReply(solution) } }]);
  try {
    const config = resolveConfig({
      env: { OPENAI_BASE_URL: server.url, TRITONIZE_MODEL: "test-model", TRITONIZE_MAX_RETRIES: "0" },
      cwd: mkdtempSync(join(tmpdir(), "tritonize-cfg-")),
    });
    const out = mkdtempSync(join(tmpdir(), "tritonize-e2e-"));
    const result = await runKernelAgent({
      problem,
      model: createModel(config, "kernel"),
      verify: verifyCandidate,
      workers: 1,
      rounds: 3,
      device: "cpu",
      trials: 2,
      sets: { batch_size: "13", dim: "257" },
      out,
    });
    assert.equal(result.status, "verified", result.message);
    assert.equal(result.winner?.round, 2);
    const verdict = parseVerdict(JSON.parse(readFileSync(result.winner!.verdictPath, "utf8")), "e2e");
    assert.equal(verdict.interpreter, true);
    assert.equal(verdict.device, "cpu");
    assert.ok(verdict.launches > 0);
    const first = parseVerdict(JSON.parse(readFileSync(join(result.runDir, "workers/w1/round-1/verdict.json"), "utf8")), "e2e");
    assert.equal(first.stage, "integrity");
    // The second prompt carried the harness's finding about the first candidate.
    assert.equal(server.requests.length, 2);
    const prompt = server.requests[1]!.body.messages.at(-1).content as string;
    assert.match(prompt, /Failed at stage: integrity \(aten_compute_op\)/);
    assert.match(prompt, /aten\.mul/);
    assert.ok(existsSync(result.winner!.kernelPath));
  } finally {
    await server.close();
  }
});

/** Processes whose command line mentions `needle` (the harness is given the round's work dir). */
function processesMentioning(needle: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, "utf8").includes(needle)) found.push(Number(entry));
    } catch {
      /* gone meanwhile */
    }
  }
  return found;
}

// A candidate whose kernel loops for minutes under the interpreter: its verification is still
// running when the other worker's candidate passes, and must be killed.
const slow = solution.replace(
  "    y = x * tl.sigmoid(x) + bias",
  "    y = x * tl.sigmoid(x) + bias\n    for _ in range(0, 100000000):\n        y = y * 1.0",
);

test("on CPU, the winner's verification stops the other worker's running harness process", { skip: harnessReady && process.platform === "linux" ? false : "needs the harness's Python environment and /proc", timeout: 120_000 }, async () => {
  assert.notEqual(slow, solution);
  const server = await startOpenAIServer([{ reply: { text: pyReply(slow) } }, { reply: { text: pyReply(solution) } }, { hang: true }]);
  try {
    const config = resolveConfig({
      env: { OPENAI_BASE_URL: server.url, TRITONIZE_MODEL: "test-model", TRITONIZE_MAX_RETRIES: "0" },
      cwd: mkdtempSync(join(tmpdir(), "tritonize-cfg-")),
    });
    const out = mkdtempSync(join(tmpdir(), "tritonize-e2e-"));
    const events: RunEvent[] = [];
    const result = await runKernelAgent({
      problem,
      model: createModel(config, "kernel"),
      verify: verifyCandidate,
      workers: 2,
      rounds: 2,
      device: "cpu",
      trials: 2,
      sets: { batch_size: "13", dim: "257" },
      out,
      onEvent: (e) => events.push(e),
    });
    assert.equal(result.status, "verified", result.message);
    assert.deepEqual(result.workers.map((w) => w.outcome).sort(), ["cancelled", "verified"]);
    // The loser was mid-verification when the winner passed: started, never judged.
    const loser = result.workers.find((w) => w.outcome === "cancelled")!.worker;
    assert.ok(events.some((e) => e.kind === "verify-started" && e.worker === loser));
    assert.ok(!events.some((e) => e.kind === "verdict" && e.worker === loser));
    assert.equal(server.requests.length, 2, "no request after the win");
    assert.deepEqual(processesMentioning(result.runDir), [], "no harness process of this run is left");
  } finally {
    await server.close();
  }
});
