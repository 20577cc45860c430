import { strict as assert } from "node:assert";
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { captureGraph } from "./capture.js";
import { runProblem, type RunResult } from "./run-offline.js";
import { verifyCandidate } from "../harness/verify.js";
import { mapConcurrently } from "./map-concurrently.js";

/**
 * Every example problem of the offline author's families (examples/offline: odd sizes,
 * broadcasting, non-contiguous inputs, fp16/bf16) is captured, authored, and verified by the harness
 * on CPU through Triton's interpreter. Slow (about two minutes on two cores): it runs the real thing.
 */
const examples = fileURLToPath(new URL("../../examples/offline/", import.meta.url));
const problems = readdirSync(examples).filter((f) => f.endsWith(".py")).sort();
const out = mkdtempSync(join(tmpdir(), "tritonize-offline-e2e-"));

test("the offline author solves every example problem, verified on CPU", { timeout: 600_000 }, async () => {
  const results: RunResult[] = await mapConcurrently(problems, 2, (p) =>
    runProblem(
      { problem: join(examples, p), outDir: out, author: "offline", device: "cpu", trials: 1, timeoutMs: 240_000 },
      { capture: captureGraph, verify: verifyCandidate, modelAuthor: null, providerConfigured: false },
    ),
  );
  const failed = results.filter((r) => !r.ok).map((r) => `${r.problem}: ${r.status}: ${r.message}`);
  assert.deepEqual(failed, [], `not verified:\n${failed.join("\n")}`);
  assert.ok(problems.length >= 14);
});
