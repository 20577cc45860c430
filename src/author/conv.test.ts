import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { authorOffline } from "./author.js";
import { parseCaptureDocument, type CapturedGraph, type GraphNode } from "./graph.js";
import { plan } from "./plan.js";
import { convSpec, outSize } from "./conv-spec.js";

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
  // the precision follows the reference's: TF32 (rounded like cuDNN) when cuDNN's TF32 flag is on, exact fp32 otherwise
  assert.match(r.code, /TF32=x_conv2d\.is_cuda and torch\.backends\.cudnn\.enabled and torch\.backends\.cudnn\.allow_tf32/);
  assert.match(r.code, /cvt\.rna\.tf32\.f32/);
  assert.match(r.code, /input_precision="tf32"/);
  assert.match(r.code, /input_precision="ieee"/);
  // shapes are read at call time, 64-bit offsets switched on per call
  assert.match(r.code, /\(x_conv2d\.shape\[2\] - 1\) \/\/ 1 \+ 1/);
  assert.match(r.code, /WIDE=x_conv2d\.numel\(\) >= 2\*\*31 - 1/);
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
  assert.match(r.code, /tl\.sum\(a\[:, :, None\] \* b\[None, :, :\], axis=1\)/);
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
