import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { promisify } from "node:util";
import { captureGraph } from "./capture.js";
import { resolvePython } from "../harness/python.js";
import { runProblem } from "./run-offline.js";
import { authorOffline } from "./author.js";
import { verifyCandidate } from "../harness/verify.js";
import { CONV_TILE_CASES, eachConfigReport } from "./testing.js";

/**
 * Convolution kernels read their shapes from the tensors: a ModelNew written at one size verifies,
 * unchanged, at another batch size and spatial size; and every autotuned configuration, each
 * alone, gives the reference's result (CPU, Triton's interpreter).
 */
const dir = fileURLToPath(new URL("../../examples/kernelbench_like/", import.meta.url));
const offline = fileURLToPath(new URL("../../examples/offline/", import.meta.url));
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

for (const name of Object.keys(CONV_TILE_CASES)) {
  test(`${name}: every autotuned tile of its convolutions, each alone, gives the reference's result`, { timeout: 300_000 }, async () => {
    const problem = join(offline, `${name}.py`);
    const r = await runProblem(
      { problem, outDir: out, author: "offline", device: "cpu", trials: 1, timeoutMs: 240_000 },
      { capture: captureGraph, verify: verifyCandidate, modelAuthor: null, providerConfigured: false },
    );
    assert.ok(r.ok && r.modelNew, `${r.status}: ${r.message}`);
    const doc = await eachConfigReport(problem, r.modelNew);
    assert.equal(doc.configs.length, CONV_TILE_CASES[name]!.kMajor, JSON.stringify(doc));
    assert.ok(doc.ok, JSON.stringify(doc.configs.filter((c) => !c.ok)));
  });
}

test("a 1x1 convolution's operands are rounded to TF32 once, in their copies, to nearest even, ties included, as cuDNN's (Triton's interpreter)", { timeout: 120_000 }, async () => {
  const problem = join(out, "conv1x1.py");
  writeFileSync(problem, CONV_1X1);
  const g = await captureGraph({ problem });
  assert.ok(g.ok, g.ok ? "" : g.message);
  if (!g.ok) return;
  const r = authorOffline(g);
  assert.ok(r.ok, r.ok ? "" : r.message);
  if (!r.ok) return;
  // rounding code 2 (ties to even), applied by the operands' copies, not in the main loop
  assert.match(r.code, /rnd_conv2d = 2 if x_conv2d\.is_cuda and /);
  assert.match(r.code, /x_conv2d_cl = _channels_last\(x_conv2d, rnd_conv2d\)/);
  assert.match(r.code, /w_conv2d_r = _tf32_rounded\(w_conv2d_r, rnd_conv2d\)/);
  const module = join(out, "conv1x1_model_new.py");
  writeFileSync(module, r.code);
  // 1 + 2^-11 is a tie (goes down to the even 1.0); 1 + 3*2^-11 too (goes up to 1 + 2^-9);
  // just above a tie goes up; a negative tie goes to even as well. The same values through the
  // module's two copies: the weight's (flat) and the input's channels-last one (values along C)
  const script = `import importlib.util, torch
spec = importlib.util.spec_from_file_location("m", ${JSON.stringify(module)})
m = importlib.util.module_from_spec(spec)
spec.loader.exec_module(m)
v = torch.tensor([1 + 2**-11, 1 + 3 * 2**-11, 1 + 2**-11 + 2**-20, -(1 + 2**-11), 3.0, -0.0, float("inf"), 1e-40], dtype=torch.float32)
w = m._tf32_rounded(v, 2)
x = m._channels_last(v.reshape(1, 8, 1, 1).expand(2, 8, 3, 1), 2)
assert x.shape == (2, 8, 3, 1) and x.stride()[1] == 1, (x.shape, x.stride())
assert torch.equal(x[1, :, 2, 0], w), (x[1, :, 2, 0], w)
print(",".join(repr(t) for t in w.tolist()))
`;
  const { stdout } = await promisify(execFile)(await resolvePython(), ["-c", script], { env: { ...process.env, TRITON_INTERPRET: "1" } });
  const got = stdout.trim().split(",").map((v) => (v === "inf" ? Infinity : Number(v)));
  const tf32Ulp = 2 ** -10;
  assert.deepEqual(got.slice(0, 6), [1, 1 + 2 * tf32Ulp, 1 + tf32Ulp, -1, 3, -0]);
  assert.equal(got[6], Infinity);
  assert.equal(got[7], 9 * 2 ** -136); // a subnormal keeps ten bits below the exponent too
});

const CONV_1X1 = `import torch
import torch.nn as nn

class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(8, 16, kernel_size=1, bias=False)

    def forward(self, x):
        return self.conv(x)

def get_inputs():
    return [torch.randn(2, 8, 5, 5)]

def get_init_inputs():
    return []
`;
