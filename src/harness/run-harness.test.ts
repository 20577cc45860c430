import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fixture } from "./testing.js";
import { runHarness } from "./run-harness.js";

// A problem whose inputs never come: the supervisor has made its work folder and then hangs.
const HANGING_PROBLEM = `import time
import torch
import torch.nn as nn
class Model(nn.Module):
    def forward(self, x):
        return x * 2
def get_inputs():
    time.sleep(600)
def get_init_inputs():
    return []
`;

test("a harness killed at its time limit leaves no work folder in its TMPDIR", { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "tritonize-leftover-"));
  try {
    const problem = join(dir, "hangs.py");
    writeFileSync(problem, HANGING_PROBLEM);
    const outcome = await runHarness({
      args: ["verify", "--problem", problem, "--candidate", fixture("scale_triton.py"), "--device", "cpu", "--trials", "1"],
      timeoutMs: 15_000,
      env: { ...process.env, TMPDIR: dir, TRITONIZE_WARM: "0" },
    });
    assert.equal(outcome.kind, "timeout");
    // the supervisor got as far as its work folder (verify.py names it by its pid), then was killed
    assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith("tritonize-verify-")), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
