import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { promisify } from "node:util";
import { z } from "zod";
import { captureGraph } from "./capture.js";
import { resolvePython } from "../harness/python.js";
import { runProblem } from "./run-offline.js";
import { verifyCandidate } from "../harness/verify.js";

/**
 * Convolution kernels read their shapes from the tensors: a ModelNew written at one size verifies,
 * unchanged, at another batch size and spatial size; and every autotuned configuration, each
 * alone, gives the reference's result (CPU, Triton's interpreter).
 */
const dir = fileURLToPath(new URL("../../examples/kernelbench_like/", import.meta.url));
const offline = fileURLToPath(new URL("../../examples/offline/", import.meta.url));
const eachConfig = fileURLToPath(new URL("../../python/tests/each_config.py", import.meta.url));
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

const EachConfig = z.object({
  ok: z.boolean(),
  configs: z.array(z.object({ tile: z.string(), ok: z.boolean(), maxAbsErr: z.number().nullable(), error: z.string().nullable() })),
  error: z.string().nullable(),
});

for (const name of ["conv_transpose_1d_2d", "conv_same_dilated_grouped"]) {
  test(`${name}: every autotuned tile of its convolutions, each alone, gives the reference's result`, { timeout: 300_000 }, async () => {
    const problem = join(offline, `${name}.py`);
    const r = await runProblem(
      { problem, outDir: out, author: "offline", device: "cpu", trials: 1, timeoutMs: 240_000 },
      { capture: captureGraph, verify: verifyCandidate, modelAuthor: null, providerConfigured: false },
    );
    assert.ok(r.ok && r.modelNew, `${r.status}: ${r.message}`);
    const { stdout } = await promisify(execFile)(await resolvePython(), [eachConfig, "--reference", problem, "--submission", r.modelNew], {
      env: { ...process.env, TRITON_INTERPRET: "1" },
    });
    const doc = EachConfig.parse(JSON.parse(stdout.trim().split("\n").pop()!));
    // two convolutions, four tiles each (columns clipped to the output channels of a group)
    assert.equal(doc.configs.length, 8, JSON.stringify(doc));
    assert.ok(doc.ok, JSON.stringify(doc.configs.filter((c) => !c.ok)));
  });
}
