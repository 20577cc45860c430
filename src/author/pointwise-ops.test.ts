import { strict as assert } from "node:assert";
import { test } from "node:test";
import type { Arg, GraphNode } from "./graph.js";
import { isPointwise, pointwiseExpr, type Operand } from "./pointwise-ops.js";

function node(op: string, args: Arg[]): GraphNode {
  return {
    id: op, op, target: `aten.${op}`, args, kwargs: {}, view: false, shape: [4, 8], dtype: "float32", strides: [8, 1],
    contiguous: true, outputs: null, module: "", moduleType: "Model", training: false, line: 1,
  } as GraphNode;
}

const x: Operand = { kind: "t", code: "x0", ty: "f" };
const mask: Operand = { kind: "t", code: "x1", ty: "b" };

test("masked_fill puts its value where the mask holds; a non-finite value written as text stays non-finite", () => {
  const minusInf: Arg = { float: "-inf" };
  const r = pointwiseExpr(node("masked_fill", [{ input: "x" }, { input: "mask" }, minusInf]), [x, mask, { kind: "c", value: minusInf }]);
  assert.equal(r.code, 'tl.where(x1, float("-inf"), x0)');
  const w = pointwiseExpr(node("where", [{ input: "mask" }, { input: "x" }, { float: "inf" }]), [mask, x, { kind: "c", value: { float: "inf" } }]);
  assert.equal(w.code, 'tl.where(x1, x0, float("inf"))');
  const n = pointwiseExpr(node("masked_fill", [{ input: "x" }, { input: "mask" }, 0.5]), [x, { kind: "t", code: "x2", ty: "f" }, { kind: "c", value: 0.5 }]);
  assert.equal(n.code, "tl.where(x2 != 0, 0.5, x0)");
});

test("a cast inside a chain rounds there: to fp16 and back, float to int truncating, to bool", () => {
  const cast = (dtype: string, from: Operand) => pointwiseExpr({ ...node("_to_copy", [{ input: "x" }]), dtype } as GraphNode, [from]).code;
  assert.equal(cast("float16", x), "x0.to(tl.float16).to(tl.float32)");
  assert.equal(cast("bfloat16", x), "x0.to(tl.bfloat16).to(tl.float32)");
  assert.equal(cast("float32", x), "x0");
  assert.equal(cast("int32", x), "x0.to(tl.int32)");
  assert.equal(cast("bool", x), "(x0 != 0)");
  assert.equal(cast("float32", mask), "x1.to(tl.float32)");
});

test("torch.max(x, y) and torch.min(x, y) are the elementwise maximum and minimum; the reductions are not pointwise", () => {
  const y: Operand = { kind: "t", code: "x2", ty: "f" };
  const two = (op: string, overload: string) => ({ ...node(op, [{ input: "x" }, { input: "y" }]), target: `aten.${op}.${overload}` }) as GraphNode;
  assert.equal(pointwiseExpr(two("max", "other"), [x, y]).code, "tl.maximum(x0, x2)");
  assert.equal(pointwiseExpr(two("min", "other"), [x, y]).code, "tl.minimum(x0, x2)");
  assert.equal(isPointwise(two("max", "other")), true);
  assert.equal(isPointwise(two("max", "dim")), false);
});
