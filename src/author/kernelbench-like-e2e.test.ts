import { strict as assert } from "node:assert";
import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { captureGraph } from "./capture.js";
import { runProblem, type RunResult } from "./run-offline.js";
import { verifyCandidate } from "../harness/verify.js";
import { mapConcurrently } from "./map-concurrently.js";

/**
 * KernelBench level-1 problems of the offline author's families (examples/kernelbench_like, written
 * in KernelBench's style), captured, authored and verified on CPU at the small sizes of small.json.
 * The whole set takes six to twelve minutes on two cores, so this runs one problem of each kind of
 * graph (einsum, diag product, triu, transposed operands, an init argument, log-softmax, BatchNorm
 * in training mode, GroupNorm, the explicit RMSNorm formula, the Frobenius norm, LayerNorm over
 * three dims, argmax, the tanh GELU formula, two decomposed losses, fp16 attention, and convolutions:
 * 2-D, 'same' padding with bias, grouped strided 3-D, depthwise 1-D with a multiplier, transposed 1-D
 * strided and dilated, transposed 2-D with groups, dilation and output padding), 3-D max pooling with
 * dilation, 2-D average pooling, reversed and exclusive scans, cross-entropy;
 * `npx tsx bench/kernelbench-like.ts` runs them all and prints a table.
 */
const SUBSET = ["11_", "12_", "14_", "18_", "20_", "24_", "33_", "35_", "36_", "37_", "40_", "51_", "88_", "97_Cos", "97_Scaled", "99_",
  "63_", "56_conv_standard_2D_bias", "54_conv_standard_3D_grouped", "82_conv_depthwise_1D", "79_", "57_conv_transposed_2D_grouped",
  "43_", "45_", "91_", "92_", "95_"];

const dir = fileURLToPath(new URL("../../examples/kernelbench_like/", import.meta.url));
const small = JSON.parse(readFileSync(join(dir, "small.json"), "utf8")) as Record<string, Record<string, string>>;
const files = readdirSync(dir).filter((f) => f.endsWith(".py"));
const out = mkdtempSync(join(tmpdir(), "tritonize-kernelbench-like-e2e-"));

test("every KernelBench-like problem has CPU-small sizes that name its own constants", () => {
  assert.ok(files.length >= 70);
  for (const f of files) {
    const sets = small[f];
    assert.ok(sets, `${f} has no entry in small.json`);
    const text = readFileSync(join(dir, f), "utf8");
    for (const name of Object.keys(sets)) assert.match(text, new RegExp(`^${name} = `, "m"), `${f}: no constant ${name}`);
  }
});

test("the offline author solves a representative subset of the KernelBench-like problems on CPU", { timeout: 600_000 }, async () => {
  const chosen = SUBSET.map((n) => {
    const f = files.find((x) => x.startsWith(n));
    assert.ok(f, `no problem ${n}`);
    return f;
  });
  const results: RunResult[] = await mapConcurrently(chosen, 2, (f) =>
    runProblem(
      { problem: join(dir, f), sets: small[f], outDir: out, author: "offline", device: "cpu", trials: 1, timeoutMs: 240_000 },
      { capture: captureGraph, verify: verifyCandidate, modelAuthor: null, providerConfigured: false },
    ),
  );
  const failed = results.filter((r) => !r.ok).map((r) => `${r.problem}: ${r.status}: ${r.message}`);
  assert.deepEqual(failed, [], `not verified:\n${failed.join("\n")}`);
});
