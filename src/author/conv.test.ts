import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { authorOffline } from "./author.js";
import { mainLoop } from "./testing.js";
import { parseCaptureDocument, type CapturedGraph, type GraphNode } from "./graph.js";
import { plan } from "./plan.js";
import { convSpec, outSize, type ConvSpec } from "./conv-spec.js";
import { predictedConvPrecision } from "./conv-precision.js";
import { convConfigs, convReduction, flatReduction } from "./conv-tiles.js";

function fixture(name: string): CapturedGraph {
  const url = new URL(`./fixtures/${name}.graph.json`, import.meta.url);
  const doc = parseCaptureDocument(JSON.parse(readFileSync(url, "utf8")), name);
  if (!doc.ok) throw new Error(`fixture ${name} is a failure document`);
  return doc;
}

function node(op: string, args: GraphNode["args"], kwargs: GraphNode["kwargs"] = {}): GraphNode {
  return { id: op, op, target: `aten.${op}`, args, kwargs, view: false, shape: null, dtype: "float32", strides: null, contiguous: null, outputs: null, module: null, moduleType: null, training: null, line: null };
}

const X = { input: "x" };
const W = { param: "w" };

test("the output tile is stored pixels first, in both operand layouts", () => {
  // Triton's coalescing spreads the pointers' first axis across threads when neither axis proves
  // contiguous (pixel offsets computed with % and //): pixels there make the NCHW stores coalesce;
  // stored channels first, the H200 ran these kernels at about 250 GB/s of output
  for (const convOperands of ["k-major", "mn-major"] as const) {
    const r = authorOffline(fixture("conv_relu_bias"), { convOperands });
    assert.ok(r.ok, r.ok ? "" : r.message);
    if (!r.ok) return;
    const store = r.code.split("\n").filter((l) => l.includes("tl.store(c_ptr"));
    assert.equal(store.length, 1);
    assert.match(store[0]!, /tl\.store\(c_ptr \+ c_row\[:, None\] \+ co\[None, :\] \* sc_c, /);
    assert.match(store[0]!, /mask=m_ok\[:, None\] & n_ok\[None, :\]\)/);
    assert.doesNotMatch(store[0]!, /tl\.trans/);
  }
});

test("a convolution's bias, ReLU and added per-channel bias are one kernel: the chain is the epilogue", () => {
  const g = fixture("conv_relu_bias");
  const p = plan(g);
  assert.equal(p.steps.length, 1);
  const s = p.steps[0]!;
  assert.equal(s.kind, "conv");
  if (s.kind === "conv") assert.deepEqual(s.epilogue?.nodes.map((n) => n.op), ["relu", "add"]);
  const r = authorOffline(g);
  assert.ok(r.ok, r.ok ? "" : r.message);
  if (!r.ok) return;
  assert.equal(r.kernels, 1);
  // the precision follows the reference's: TF32 (rounded like cuDNN) when cuDNN's TF32 flag is on, near-exact fp32 otherwise
  assert.match(r.code, /rnd_conv2d = 1 if x_conv2d\.is_cuda and torch\.backends\.cudnn\.enabled and torch\.backends\.cudnn\.allow_tf32 else 0/);
  assert.match(r.code, /TF32=rnd_conv2d != 0/);
  // rounded once, in the operands' copies (ties away: cvt.rna), not in the main loop
  assert.match(r.code, /cvt\.rna\.tf32\.f32/);
  assert.match(r.code, /x_conv2d_cl = _channels_last\(x_conv2d, rnd_conv2d\)/);
  assert.match(r.code, /if rnd_conv2d:\n\s+w_conv2d_r = _tf32_rounded\(w_conv2d_r, rnd_conv2d\)/);
  assert.ok(!mainLoop(r.code).some((l) => l.includes("_round_tf32")));
  assert.match(r.code, /input_precision="tf32"/);
  assert.match(r.code, /input_precision="tf32x3"/);
  // where the prediction is wrong, the run tries the other precision: exact fp32 always
  assert.deepEqual(r.retry, { convPrecision: "exact" });
  const exact = authorOffline(g, r.retry!);
  assert.ok(exact.ok);
  if (exact.ok) {
    assert.match(exact.code, /TF32=False/);
    assert.match(exact.code, /x_conv2d_cl = _channels_last\(x_conv2d, 0\)/);
    assert.doesNotMatch(exact.code, /_tf32_rounded\(/);
    assert.match(exact.code, /matching the eager reference's exact fp32/);
    assert.deepEqual(exact.retry, null); // the other precision is the last try
  }
  // shapes are read at call time, 64-bit offsets switched on per call
  assert.match(r.code, /\(x_conv2d\.shape\[2\] - 1\) \/\/ 1 \+ 1/);
  assert.match(r.code, /WIDE=x_conv2d\.numel\(\) >= 2\*\*31 - 1/);
});

test("a standard 3-D convolution matches cuDNN's exact fp32 algorithm; a transposed grouped one with output padding too", () => {
  const spec = (over: Partial<ConvSpec>): ConvSpec => ({
    S: 2, transposed: false, groups: 1, stride: [1, 1], padLo: [0, 0], same: false, dilation: [1, 1], outputPadding: [0, 0], kernel: [3, 3],
    x: "x", w: "w", bias: null, ...over,
  });
  assert.equal(predictedConvPrecision(spec({})), "tf32");
  assert.equal(predictedConvPrecision(spec({ S: 3, dilation: [1, 1, 1], outputPadding: [0, 0, 0] })), "exact");
  assert.equal(predictedConvPrecision(spec({ S: 3, transposed: true, dilation: [1, 1, 1], outputPadding: [0, 0, 0] })), "tf32");
  assert.equal(predictedConvPrecision(spec({ S: 3, transposed: true, groups: 4, dilation: [1, 1, 1], outputPadding: [1, 1, 1] })), "exact");
  assert.equal(predictedConvPrecision(spec({ transposed: true, groups: 4, dilation: [2, 1] })), "exact");
  assert.equal(predictedConvPrecision(spec({ transposed: true, groups: 4 })), "tf32");
});

test("a depthwise convolution multiplies in exact fp32 without tensor cores, as PyTorch's own depthwise kernels do", () => {
  const g = structuredClone(fixture("conv_relu_bias"));
  const w = g.params.find((p) => p.id === "p_conv_weight")!;
  const cin = g.inputs[0]!.shape[1]!;
  w.shape = [20, 1, 3, 3];
  w.strides = [9, 9, 3, 1];
  g.nodes[0]!.args.push([1, 1], cin);
  const r = authorOffline(g);
  assert.ok(r.ok, r.ok ? "" : r.message);
  if (!r.ok) return;
  assert.doesNotMatch(r.code, /tl\.dot|_round_tf32/);
  // PyTorch's depthwise kernel's order: the bias first, then one FMA per tap in the weight's order
  assert.match(r.code, /acc = tl\.zeros\(\(BLOCK_M, BLOCK_N\), dtype=tl\.float32\) \+ tl\.load\(bias_ptr \+ co, .*# bias first/);
  assert.match(r.code, /for kp0 in tl\.static_range\(KS0\):\n\s+for kp1 in tl\.static_range\(KS1\):/);
  assert.match(r.code, /acc = tl\.fma\(xv\[:, None\], wv\[None, :\], acc\)/);
  assert.doesNotMatch(r.code, /c = c \+ tl\.load\(bias_ptr/);
});

test("convolution parameters: defaults, one-element lists, 'same' and 'valid' padding, transposed and generic forms", () => {
  const shape = (id: string) => (id === "w" ? [8, 4, 4, 5] : [2, 4, 9, 9]);
  const plain = convSpec(node("conv2d", [X, W]), shape);
  assert.deepEqual([plain.stride, plain.padLo, plain.dilation, plain.groups, plain.bias, plain.transposed], [[1, 1], [0, 0], [1, 1], 1, null, false]);
  const one = convSpec(node("conv2d", [X, W, null, [2], [1], [3]]), shape);
  assert.deepEqual([one.stride, one.padLo, one.dilation], [[2, 2], [1, 1], [3, 3]]);
  // an even span (4 - 1 = 3 rows) puts the odd padding row after the input
  const same = convSpec(node("conv2d", [X, W, null, [1, 1], "same", [1, 2]]), shape);
  assert.deepEqual([same.padLo, same.same], [[1, 4], true]);
  assert.equal(outSize(same, 0, 9), 9);
  assert.deepEqual(convSpec(node("conv2d", [X, W, null, [1, 1], "valid"]), shape).padLo, [0, 0]);
  const t = convSpec(node("conv_transpose2d", [X, W, null, [2, 3], [1, 0], [1, 2], 2, [1, 2]]), shape);
  assert.deepEqual([t.transposed, t.outputPadding, t.groups, t.dilation], [true, [1, 2], 2, [1, 2]]);
  // torch: (9 - 1) * 2 - 2 + 1 * 3 + 1 + 1 = 19 and (9 - 1) * 3 - 0 + 2 * 4 + 2 + 1 = 35
  assert.deepEqual([outSize(t, 0, 9), outSize(t, 1, 9)], [19, 35]);
  const generic = convSpec(node("convolution", [X, W, { param: "b" }, [1, 1], [0, 0], [1, 1], true, [0, 0], 1]), shape);
  assert.deepEqual([generic.transposed, generic.bias], [true, "b"]);
  assert.throws(() => convSpec(node("conv2d", [X, W, null, [2, 2], "same"]), shape), /padding='same' with a stride/);
});

test("the MN-major main loop divides only scalars: taps outer, channels in BLOCK_K slices, the weight re-laid per call", () => {
  const g = structuredClone(fixture("conv_relu_bias"));
  // 40 input channels: a wide reduction (a tap and a slice of channels per K step), the last slice part padding
  g.inputs[0]!.shape[1] = 40;
  g.inputs[0]!.strides = [40 * 99, 99, 9, 1];
  const w = g.params.find((p) => p.id === "p_conv_weight")!;
  w.shape = [20, 40, 3, 3];
  w.strides = [360, 9, 3, 1];
  const r = authorOffline(g, { convOperands: "mn-major" });
  assert.ok(r.ok, r.ok ? "" : r.message);
  if (!r.ok) return;
  const loop = mainLoop(r.code);
  assert.ok(loop.includes(`            acc = tl.dot(_round_tf32(a), _round_tf32(b), acc, input_precision="tf32")`));
  const divides = loop.filter((l) => /\/\/|%/.test(l)).map((l) => l.trim());
  // the step number split into (outer tap, K step), the K step into (last-dim tap, first channel): scalars
  assert.deepEqual(divides, ["tt = s // NC", "jj1 = k_lin // CP"]);
  assert.ok(loop.includes("        offs_c = (k_lin - jj1 * CP) + tl.arange(0, BLOCK_K)"));
  assert.ok(loop.some((l) => l.includes("a_row[:, None] + (offs_c * sx_c)[None, :]")));
  assert.ok(loop.some((l) => l.includes("c_ok = offs_c < C_IN_G")));
  assert.match(r.code, /CP=48, BLOCK_K=16\)/);
  assert.match(r.code, /w_conv2d\.reshape\(1, 20, 40, 3, 3\)\.permute\(0, 3, 4, 2, 1\)\.contiguous\(\)/);
  assert.match(r.code, /@triton\.autotune\(configs=_conv_configs\(\[\(128, 32, 4, 3\), \(128, 32, 4, 4\), \(64, 32, 4, 4\), \(64, 32, 4, 3\)\]\), key=\["M", "COUT_G", "K"\]\)/);
});

test("a reduction step holds one tap's channel slice, or packs last-dimension taps when the channels are few", () => {
  // 64 channels: two slices of 32 per tap, no padding; 48: three of 16 rather than two of 32 with 16 zeros
  assert.deepEqual(convReduction(64, 3), { BK: 32, CP: 64, narrow: false, flat: false, padded: false });
  assert.deepEqual(convReduction(48, 3), { BK: 16, CP: 48, narrow: false, flat: false, padded: false });
  assert.deepEqual(convReduction(40, 3), { BK: 16, CP: 48, narrow: false, flat: false, padded: true });
  assert.deepEqual(convReduction(16, 5), { BK: 16, CP: 16, narrow: false, flat: false, padded: false });
  // 3 channels: slots of 4, 3 taps (12 slots) fit a 16-deep step, 7 taps take a 32-deep one
  assert.deepEqual(convReduction(3, 3), { BK: 16, CP: 4, narrow: true, flat: false, padded: true });
  assert.deepEqual(convReduction(3, 7), { BK: 32, CP: 4, narrow: true, flat: false, padded: true });
  assert.deepEqual(convReduction(8, 3), { BK: 32, CP: 8, narrow: true, flat: false, padded: false });
  // every tap packed into one run where it cuts the multiplied slots by a fifth: 3 channels, a 3x3x1
  // kernel (KernelBench 59): 9 taps of 4 slots in 3 steps of 16, not 9 steps of 16 holding one tap each
  assert.deepEqual(flatReduction(convReduction(3, 1), [3, 3, 1], 9), { BK: 16, CP: 4, narrow: true, flat: true, padded: true });
  // 3x5x7 (60): 105 taps in 14 steps of 32 against 15 of 32 now, too little to pay; wide: never
  assert.equal(flatReduction(convReduction(3, 7), [3, 5, 7], 15), null);
  // 3x3x3 (54): 4 steps of 32 would not cut 9 of 16 by a fifth, 7 of 16 do; 5x5: 4 steps of 32
  assert.deepEqual(flatReduction(convReduction(3, 3), [3, 3, 3], 9), { BK: 16, CP: 4, narrow: true, flat: true, padded: true });
  assert.equal(flatReduction(convReduction(3, 5), [5, 5], 5)?.BK, 32);
  // 11x11 (50): each row of 11 taps (44 slots) is already one contiguous run over two steps of 32
  assert.equal(flatReduction(convReduction(3, 11), [11, 11], 22), null);
  assert.equal(flatReduction(convReduction(64, 3), [3, 3], 18), null);
  // few output channels per group: tiles no wider than needed, 4 warps below 128x128
  assert.deepEqual(convConfigs(8, 32, 9).map((t) => [t.BM, t.BN, t.warps, t.stages]), [[128, 16, 4, 3], [128, 16, 4, 4], [64, 16, 4, 4], [64, 16, 4, 3]]);
  assert.deepEqual(convConfigs(128, 32, 9).map((t) => [t.BM, t.BN, t.warps]), [[128, 128, 8], [128, 64, 4], [64, 128, 4], [64, 64, 4]]);
  // a main loop of one K step keeps 3 stages at most (4 hung on the H200); the duplicates go
  assert.deepEqual(convConfigs(64, 32, 1).map((t) => [t.BM, t.BN, t.warps, t.stages]), [[128, 64, 4, 3], [64, 64, 4, 3]]);
});
