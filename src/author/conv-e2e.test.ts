import { strict as assert } from "node:assert";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { captureGraph } from "./capture.js";
import { runProblem } from "./run-offline.js";
import { verifyCandidate } from "../harness/verify.js";

/**
 * Convolution kernels read their shapes from the tensors: a ModelNew written at one size verifies,
 * unchanged, at another batch size and spatial size (CPU, Triton's interpreter).
 */
const dir = fileURLToPath(new URL("../../examples/kernelbench_like/", import.meta.url));
const out = mkdtempSync(join(tmpdir(), "tritonize-conv-e2e-"));

test("a transposed convolution written at one size verifies at another batch and image size", { timeout: 300_000 }, async () => {
  const problem = join(dir, "57_conv_transposed_2D_grouped_dilated_output_padding_bias.py");
  const channels = { in_channels: "8", out_channels: "6" };
  const r = await runProblem(
    { problem, sets: { ...channels, batch_size: "2", height: "4", width: "5" }, outDir: out, author: "offline", device: "cpu", trials: 1, timeoutMs: 240_000 },
    { capture: captureGraph, verify: verifyCandidate, modelAuthor: null, providerConfigured: false },
  );
  assert.ok(r.ok && r.modelNew, `${r.status}: ${r.message}`);
  const v = await verifyCandidate({ problem, candidate: r.modelNew, sets: { ...channels, batch_size: "3", height: "6", width: "3" }, device: "cpu", trials: 1, timeoutMs: 240_000 });
  assert.ok(v.ok, JSON.stringify(v).slice(0, 600));
});
