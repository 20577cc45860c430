import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { authorOffline } from "./author.js";
import { mainLoop } from "./testing.js";
import type { AuthorOptions } from "./builder.js";
import { parseCaptureDocument, type CapturedGraph } from "./graph.js";

function fixture(name: string): CapturedGraph {
  const url = new URL(`./fixtures/${name}.graph.json`, import.meta.url);
  const doc = parseCaptureDocument(JSON.parse(readFileSync(url, "utf8")), name);
  if (!doc.ok) throw new Error(`fixture ${name} is a failure document`);
  return doc;
}

function code(g: CapturedGraph, options?: AuthorOptions): string {
  const r = options ? authorOffline(g, options) : authorOffline(g);
  assert.ok(r.ok, r.ok ? "" : r.message);
  return r.ok ? r.code : "";
}

/** conv_relu_bias with `cin` input channels (5 in the fixture: a narrow reduction; 40: a wide one). */
function withChannels(cin: number): CapturedGraph {
  const g = structuredClone(fixture("conv_relu_bias"));
  const [h, w] = g.inputs[0]!.shape.slice(2) as [number, number];
  g.inputs[0]!.shape[1] = cin;
  g.inputs[0]!.strides = [cin * h * w, h * w, w, 1];
  const wt = g.params.find((p) => p.id === "p_conv_weight")!;
  wt.shape = [20, cin, 3, 3];
  wt.strides = [cin * 9, 9, 3, 1];
  return g;
}

/** The loop's lines that say which (tap, channel) a K step holds: the K order. */
function kOrder(loop: string[]): string[] {
  return loop.map((l) => l.trim()).filter((l) => /^(for |tt = |kc = |jj\d+ = |j\d+ = |off\d+ = |k_lin = |offs_c = \(|offs_k = |ch = offs_k|tap = )/.test(l));
}

test("convOperands 'k-major' is the default; 'mn-major' gathers from the input as it is, no channels-last copy", () => {
  for (const g of [fixture("conv_relu_bias"), withChannels(40)]) {
    assert.equal(code(g, { convOperands: "k-major" }), code(g));
    const mn = code(g, { convOperands: "mn-major" });
    assert.doesNotMatch(mn, /_channels_last/);
    // pixels on the first axis: Triton spreads that one across threads when neither proves contiguous
    assert.ok(mainLoop(mn).some((l) => /a = tl\.load\(x_ptr \+ a_row\[:, None\] \+ \(.*\)\[None, :\]/.test(l)));
    assert.ok(!mainLoop(mn).some((l) => l.includes("tl.trans(a")));
  }
});

test("k-major, narrow reduction: a channels-last copy of the input, the weight re-laid K-major, B transposed for the product", () => {
  const g = fixture("conv_relu_bias");
  const km = code(g, { convOperands: "k-major" });
  assert.match(km, /^def _channels_last\(x, rnd\):$/m);
  assert.match(km, /^def _channels_last_copy\(x_ptr, y_ptr, P, C, D, H, W, sx_n, sx_c, sx_d, sx_h, sx_w, ROUND: tl\.constexpr, /m);
  assert.match(km, /x_conv2d_cl = _channels_last\(x_conv2d, rnd_conv2d\)/);
  assert.match(km, /k0_conv\[grid\]\(x_conv2d_cl, w_conv2d_r, .*\*x_conv2d_cl\.stride\(\)/);
  // 5 input channels in slots of 8: [groups, taps, C_out, 8], the three slots past the channels zero
  assert.match(km, /w_conv2d_r = w_conv2d\.new_zeros\(\(1, 3, 3, 20, 8\)\)\n\s+w_conv2d_r\[\.\.\., :5\] = w_conv2d\.reshape\(1, 20, 5, 3, 3\)\.permute\(0, 3, 4, 1, 2\)\n/);
  const loop = mainLoop(km);
  assert.ok(loop.includes("        a = tl.load(x_ptr + a_row[:, None] + (ch + off1 * sx_1)[None, :], mask=mask, other=0.0)"));
  assert.ok(loop.includes("        b = tl.load(w_ptr + w_grp + offs_n[:, None] * CP + w_k[None, :], mask=n_ok[:, None] & t_ok[None, :], other=0.0)"));
  assert.ok(loop.includes("        b = tl.trans(b.to(tl.float32))"));
  assert.ok(!loop.some((l) => l.includes("tl.trans(a")));
  assert.match(km, /w_grp = g \* \(KVOL \* COUT_G \* CP\)/);
  // the same K steps in the same order as the MN-major loop, so the same sums
  assert.ok(kOrder(loop).length >= 10, kOrder(loop).join("\n"));
  assert.deepEqual(kOrder(loop), kOrder(mainLoop(code(g, { convOperands: "mn-major" }))));
  // a retry for the other precision keeps the operand layout
  const r = authorOffline(g, { convOperands: "k-major" });
  assert.ok(r.ok);
  if (r.ok) assert.deepEqual(r.retry, { convOperands: "k-major", convPrecision: "exact" });
});

test("k-major, wide reduction: A tiles [BLOCK_M, BLOCK_K] along the copy's channels, B rows of CP channels", () => {
  const g = withChannels(40);
  const km = code(g, { convOperands: "k-major" });
  const loop = mainLoop(km);
  assert.ok(loop.includes("        a = tl.load(x_ptr + a_row[:, None] + offs_c[None, :], mask=row_ok[:, None] & c_ok[None, :], other=0.0)"));
  assert.ok(loop.includes("        b = tl.load(w_ptr + w_tap + offs_n[:, None] * CP + offs_c[None, :], mask=n_ok[:, None], other=0.0)"));
  assert.match(km, /w_conv2d_r\[\.\.\., :40\] = w_conv2d\.reshape\(1, 20, 40, 3, 3\)\.permute\(0, 3, 4, 1, 2\)/);
  assert.match(km, /CP=48, BLOCK_K=16\)/);
  // still only scalar divisions per step
  assert.deepEqual(loop.filter((l) => /\/\/|%/.test(l)).map((l) => l.trim()), ["tt = s // NC", "jj1 = k_lin // CP"]);
  assert.deepEqual(kOrder(loop), kOrder(mainLoop(code(g, { convOperands: "mn-major" }))));
  // 48 channels: no padding, the weight is one contiguous copy
  assert.match(code(withChannels(48), { convOperands: "k-major" }), /w_conv2d_r = w_conv2d\.reshape\(1, 20, 48, 3, 3\)\.permute\(0, 3, 4, 1, 2\)\.contiguous\(\)/);
});

test("k-major leaves a depthwise convolution's FMA loop as it is", () => {
  const g = structuredClone(fixture("conv_relu_bias"));
  const w = g.params.find((p) => p.id === "p_conv_weight")!;
  w.shape = [20, 1, 3, 3];
  w.strides = [9, 9, 3, 1];
  g.nodes[0]!.args.push([1, 1], g.inputs[0]!.shape[1]!);
  const km = code(g, { convOperands: "k-major" });
  assert.equal(km, code(g));
  assert.doesNotMatch(km, /_channels_last|tl\.dot/);
});
