import { strict as assert } from "node:assert";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { captureGraph } from "./capture.js";
import { authorOffline } from "./author.js";
import { verifyCandidate } from "../harness/verify.js";
import { CONV_TILE_CASES, eachConfigReport } from "./testing.js";
import type { AuthorOptions } from "./builder.js";

/**
 * Both operand layouts of the convolutions give the reference's result on the CPU, Triton's
 * interpreter. MN-major (convOperands "mn-major": tiles gathered from the input as it is) on the
 * convolution examples (2-D, grouped and dilated, transposed with strides, 3-D, fp16) and every
 * autotuned tile alone for a 2-D and a transposed case (conv-e2e.test.ts does the same for the
 * default, K-major); K-major on an input that is a strided view, which its channels-last copy
 * reads through the strides.
 */
const offline = fileURLToPath(new URL("../../examples/offline/", import.meta.url));
const out = mkdtempSync(join(tmpdir(), "tritonize-conv-operands-e2e-"));
const MN: AuthorOptions = { convOperands: "mn-major" };

/** Captures a problem, authors it with these options, and writes model_new.py. */
async function moduleWith(problem: string, name: string, options: AuthorOptions): Promise<string> {
  const g = await captureGraph({ problem });
  assert.ok(g.ok, g.ok ? "" : g.message);
  const r = authorOffline(g, options);
  assert.ok(r.ok, r.ok ? "" : r.message);
  const copies = /= _channels_last\(/.test(r.code);
  assert.equal(copies, options.convOperands !== "mn-major", `${name}: a channels-last copy only with K-major operands`);
  const file = join(out, `${name}.model_new.py`);
  writeFileSync(file, r.code);
  return file;
}

const EXAMPLES = ["conv2d_relu_bias", "conv_same_dilated_grouped", "conv_transpose_1d_2d", "conv3d_pair", "conv1d_half", "conv_transpose3d_chain"];

test("with MN-major operands the convolution examples verify on CPU", { timeout: 300_000 }, async () => {
  const failed: string[] = [];
  for (const name of EXAMPLES) {
    const problem = join(offline, `${name}.py`);
    const candidate = await moduleWith(problem, name, MN);
    const v = await verifyCandidate({ problem, candidate, device: "cpu", trials: 1, timeoutMs: 240_000 });
    if (!v.ok) failed.push(`${name}: ${JSON.stringify(v).slice(0, 600)}`);
  }
  assert.deepEqual(failed, []);
});

test("with K-major operands a convolution of a strided view (the copy reads the input through its strides) verifies", { timeout: 120_000 }, async () => {
  const problem = join(out, "conv_of_view.py");
  writeFileSync(problem, CONV_OF_VIEW);
  const candidate = await moduleWith(problem, "conv_of_view", {});
  const v = await verifyCandidate({ problem, candidate, device: "cpu", trials: 1, timeoutMs: 240_000 });
  assert.ok(v.ok, JSON.stringify(v).slice(0, 600));
});

for (const name of Object.keys(CONV_TILE_CASES)) {
  test(`${name}, MN-major: every autotuned tile of its convolutions, each alone, gives the reference's result`, { timeout: 300_000 }, async () => {
    const problem = join(offline, `${name}.py`);
    const candidate = await moduleWith(problem, `${name}.tiles`, MN);
    const doc = await eachConfigReport(problem, candidate);
    assert.equal(doc.configs.length, CONV_TILE_CASES[name]!.mnMajor, JSON.stringify(doc));
    assert.ok(doc.ok, JSON.stringify(doc.configs.filter((c) => !c.ok)));
  });
}

// A grouped, padded convolution over a transposed and sliced input: neither contiguous nor
// channels-last, so the copy's strided reads are what is checked
const CONV_OF_VIEW = `import torch
import torch.nn as nn

class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(36, 12, 3, padding=(1, 2), groups=2)

    def forward(self, x):
        return self.conv(x.transpose(2, 3)[:, :, 1:, :])

def get_inputs():
    return [torch.randn(2, 36, 7, 6)]

def get_init_inputs():
    return []
`;
