import type { Arg, GraphNode } from "./graph.js";
import { floatLit, floatText, intLit, tlDtype, tyOfDtype, type Ty } from "./codegen.js";

/**
 * Elementwise operators as Triton expressions. Each takes its operands (tensor operands already
 * loaded into fp32 registers, or int/bool where the tensor is integral) and the node's constants,
 * and returns one expression. Every kernel family inlines these, which is what makes fusion work:
 * a chain of them is a chain of register operations between one load and one store.
 */

export type Operand = { kind: "t"; code: string; ty: Ty } | { kind: "c"; value: Arg };

export class UnsupportedOp extends Error {
  constructor(
    readonly op: string,
    readonly detail: string,
  ) {
    super(`${op}: ${detail}`);
  }
}

function num(a: Arg | undefined, fallback: number | undefined, op: string): number {
  if (a === undefined || a === null) {
    if (fallback === undefined) throw new UnsupportedOp(op, "a required constant argument is missing");
    return fallback;
  }
  if (typeof a === "number") return a;
  if (typeof a === "boolean") return a ? 1 : 0;
  if (typeof a === "object" && !Array.isArray(a) && "float" in a) return floatText(a.float);
  throw new UnsupportedOp(op, `expected a number, got ${JSON.stringify(a)}`);
}

/** Operand as fp32 code. */
function f(o: Operand | undefined, op: string): string {
  if (!o) throw new UnsupportedOp(op, "missing operand");
  if (o.kind === "c") return floatLit(num(o.value, undefined, op));
  return o.ty === "f" ? o.code : `${o.code}.to(tl.float32)`;
}

/** Operand in the result's type (ints stay ints for integer arithmetic). */
function asTy(o: Operand | undefined, ty: Ty, op: string): string {
  if (!o) throw new UnsupportedOp(op, "missing operand");
  if (ty === "f") return f(o, op);
  if (o.kind === "c") return ty === "b" ? (num(o.value, undefined, op) ? "1" : "0") : intLit(num(o.value, undefined, op));
  return o.code;
}

/** The common compute type of a comparison's operands. */
function cmpTy(a: Operand | undefined, b: Operand | undefined): Ty {
  const tys = [a, b].map((o) => (!o ? "i" : o.kind === "t" ? o.ty : typeof o.value === "number" && !Number.isInteger(o.value) ? "f" : "i"));
  return tys.includes("f") ? "f" : "i";
}

const TANH = (x: string) => `(2.0 * tl.sigmoid(2.0 * (${x})) - 1.0)`;
const SOFTPLUS = (x: string, beta = 1, threshold = 20) =>
  beta === 1
    ? `tl.where(${x} > ${floatLit(threshold)}, ${x}, tl.log(1.0 + tl.exp(tl.minimum(${x}, ${floatLit(threshold)}))))`
    : `tl.where(${x} * ${floatLit(beta)} > ${floatLit(threshold)}, ${x}, tl.log(1.0 + tl.exp(tl.minimum(${x} * ${floatLit(beta)}, ${floatLit(threshold)}))) / ${floatLit(beta)})`;

type Impl = (o: Operand[], node: GraphNode, ty: Ty) => string;

function kw(node: GraphNode, name: string, pos: number): Arg | undefined {
  return node.kwargs[name] ?? node.args[pos];
}

function binary(sym: string): Impl {
  return (o, node, ty) => {
    const a = asTy(o[0], ty, node.op);
    const b = asTy(o[1], ty, node.op);
    return `${a} ${sym} ${b}`;
  };
}

/** A condition operand (bool tensor, other tensor, or constant) as a Triton boolean. */
function condition(c: Operand | undefined, op: string): string {
  if (c?.kind === "t") return c.ty === "b" ? c.code : `${c.code} != 0`;
  return num(c?.value, undefined, op) ? "True" : "False";
}

/**
 * A dtype conversion. Values are carried in fp32 registers (ints as ints) and rounded at the store,
 * but a conversion inside a chain rounds there too: `x.half()` read by a log_softmax in fp32 sees
 * fp16 values, and `x.int()` truncates before the next step.
 */
const cast: Impl = (o, n, ty) => {
  const x = o[0];
  const dtype = n.dtype ?? "float32";
  if (ty === "f") {
    const v = f(x, n.op);
    return dtype === "float16" || dtype === "bfloat16" ? `${v}.to(${tlDtype(dtype)}).to(tl.float32)` : v;
  }
  if (x?.kind === "t" && x.ty === "f") return ty === "b" ? `(${x.code} != 0)` : `${x.code}.to(${tlDtype(dtype)})`;
  return asTy(x, ty, n.op);
};

function compare(sym: string): Impl {
  return (o, node) => {
    const t = cmpTy(o[0], o[1]);
    return `${asTy(o[0], t, node.op)} ${sym} ${asTy(o[1], t, node.op)}`;
  };
}

function powExpr(x: string, e: number): string | null {
  if (e === 1) return x;
  if (e === 2) return `${x} * ${x}`;
  if (e === 3) return `${x} * ${x} * ${x}`;
  if (e === 4) return `(${x} * ${x}) * (${x} * ${x})`;
  if (e === 0.5) return `tl.sqrt(${x})`;
  if (e === -0.5) return `1.0 / tl.sqrt(${x})`;
  if (e === -1) return `1.0 / ${x}`;
  if (e === -2) return `1.0 / (${x} * ${x})`;
  if (e === 0) return `${x} * 0.0 + 1.0`;
  return null;
}

const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;

export const POINTWISE: Record<string, Impl> = {
  add: (o, n, ty) => {
    const alpha = n.kwargs["alpha"];
    const b = asTy(o[1], ty, n.op);
    return alpha === undefined || alpha === 1 ? `${asTy(o[0], ty, n.op)} + ${b}` : `${asTy(o[0], ty, n.op)} + ${b} * ${ty === "f" ? floatLit(num(alpha, 1, n.op)) : intLit(num(alpha, 1, n.op))}`;
  },
  sub: (o, n, ty) => {
    const alpha = n.kwargs["alpha"];
    const b = asTy(o[1], ty, n.op);
    return alpha === undefined || alpha === 1 ? `${asTy(o[0], ty, n.op)} - ${b}` : `${asTy(o[0], ty, n.op)} - ${b} * ${floatLit(num(alpha, 1, n.op))}`;
  },
  rsub: (o, n, ty) => {
    const alpha = num(n.kwargs["alpha"], 1, n.op);
    return alpha === 1 ? `${asTy(o[1], ty, n.op)} - ${asTy(o[0], ty, n.op)}` : `${asTy(o[1], ty, n.op)} - ${asTy(o[0], ty, n.op)} * ${floatLit(alpha)}`;
  },
  mul: binary("*"),
  div: (o, n) => {
    const mode = n.kwargs["rounding_mode"] ?? n.args[2];
    const q = `${f(o[0], n.op)} / ${f(o[1], n.op)}`;
    if (mode === "floor") return `tl.floor(${q})`;
    if (mode === "trunc") return `tl.where(${q} < 0, tl.ceil(${q}), tl.floor(${q}))`;
    return q;
  },
  true_divide: (o, n) => `${f(o[0], n.op)} / ${f(o[1], n.op)}`,
  neg: (o, n, ty) => `-(${asTy(o[0], ty, n.op)})`,
  abs: (o, n, ty) => (ty === "f" ? `tl.abs(${f(o[0], n.op)})` : `tl.abs(${asTy(o[0], ty, n.op)})`),
  exp: (o, n) => `tl.exp(${f(o[0], n.op)})`,
  exp2: (o, n) => `tl.exp2(${f(o[0], n.op)})`,
  expm1: (o, n) => `(tl.exp(${f(o[0], n.op)}) - 1.0)`,
  log: (o, n) => `tl.log(${f(o[0], n.op)})`,
  log2: (o, n) => `tl.log2(${f(o[0], n.op)})`,
  log10: (o, n) => `(tl.log(${f(o[0], n.op)}) * 0.4342944819032518)`,
  log1p: (o, n) => `tl.log(1.0 + ${f(o[0], n.op)})`,
  sqrt: (o, n) => `tl.sqrt(${f(o[0], n.op)})`,
  rsqrt: (o, n) => `(1.0 / tl.sqrt(${f(o[0], n.op)}))`,
  reciprocal: (o, n) => `(1.0 / ${f(o[0], n.op)})`,
  square: (o, n) => `${f(o[0], n.op)} * ${f(o[0], n.op)}`,
  sin: (o, n) => `tl.sin(${f(o[0], n.op)})`,
  cos: (o, n) => `tl.cos(${f(o[0], n.op)})`,
  erf: (o, n) => `tl.erf(${f(o[0], n.op)})`,
  floor: (o, n) => `tl.floor(${f(o[0], n.op)})`,
  ceil: (o, n) => `tl.ceil(${f(o[0], n.op)})`,
  sign: (o, n) => `tl.where(${f(o[0], n.op)} > 0, 1.0, tl.where(${f(o[0], n.op)} < 0, -1.0, 0.0))`,
  tanh: (o, n) => TANH(f(o[0], n.op)),
  sigmoid: (o, n) => `tl.sigmoid(${f(o[0], n.op)})`,
  relu: (o, n, ty) => (ty === "f" ? `tl.where(${f(o[0], n.op)} > 0, ${f(o[0], n.op)}, 0.0)` : `tl.maximum(${asTy(o[0], ty, n.op)}, 0)`),
  relu6: (o, n) => `tl.minimum(tl.maximum(${f(o[0], n.op)}, 0.0), 6.0)`,
  leaky_relu: (o, n) => {
    const s = num(kw(n, "negative_slope", 1), 0.01, n.op);
    return `tl.where(${f(o[0], n.op)} > 0, ${f(o[0], n.op)}, ${f(o[0], n.op)} * ${floatLit(s)})`;
  },
  gelu: (o, n) => {
    const x = f(o[0], n.op);
    const approx = kw(n, "approximate", 1) ?? "none";
    if (approx === "tanh") return `0.5 * ${x} * (1.0 + ${TANH(`0.7978845608028654 * (${x} + 0.044715 * ${x} * ${x} * ${x})`)})`;
    return `0.5 * ${x} * (1.0 + tl.erf(${x} * 0.7071067811865476))`;
  },
  selu: (o, n) => {
    const x = f(o[0], n.op);
    return `${floatLit(SELU_SCALE)} * tl.where(${x} > 0, ${x}, ${floatLit(SELU_ALPHA)} * (tl.exp(tl.minimum(${x}, 0.0)) - 1.0))`;
  },
  elu: (o, n) => {
    const x = f(o[0], n.op);
    const alpha = num(kw(n, "alpha", 1), 1, n.op);
    const scale = num(kw(n, "scale", 2), 1, n.op);
    const inScale = num(kw(n, "input_scale", 3), 1, n.op);
    return `tl.where(${x} > 0, ${x} * ${floatLit(scale)}, ${floatLit(alpha * scale)} * (tl.exp(tl.minimum(${x}, 0.0) * ${floatLit(inScale)}) - 1.0))`;
  },
  celu: (o, n) => {
    const x = f(o[0], n.op);
    const alpha = num(kw(n, "alpha", 1), 1, n.op);
    return `tl.where(${x} > 0, ${x}, ${floatLit(alpha)} * (tl.exp(tl.minimum(${x}, 0.0) / ${floatLit(alpha)}) - 1.0))`;
  },
  hardsigmoid: (o, n) => `tl.minimum(tl.maximum(${f(o[0], n.op)} / 6.0 + 0.5, 0.0), 1.0)`,
  hardswish: (o, n) => `${f(o[0], n.op)} * tl.minimum(tl.maximum(${f(o[0], n.op)} + 3.0, 0.0), 6.0) / 6.0`,
  hardtanh: (o, n) => {
    const lo = num(kw(n, "min_val", 1), -1, n.op);
    const hi = num(kw(n, "max_val", 2), 1, n.op);
    return `tl.minimum(tl.maximum(${f(o[0], n.op)}, ${floatLit(lo)}), ${floatLit(hi)})`;
  },
  softplus: (o, n) => SOFTPLUS(f(o[0], n.op), num(kw(n, "beta", 1), 1, n.op), num(kw(n, "threshold", 2), 20, n.op)),
  silu: (o, n) => `${f(o[0], n.op)} * tl.sigmoid(${f(o[0], n.op)})`,
  mish: (o, n) => `${f(o[0], n.op)} * ${TANH(SOFTPLUS(f(o[0], n.op)))}`,
  log_sigmoid: (o, n) => `-(${SOFTPLUS(`-(${f(o[0], n.op)})`)})`,
  softsign: (o, n) => `${f(o[0], n.op)} / (1.0 + tl.abs(${f(o[0], n.op)}))`,
  tanhshrink: (o, n) => `${f(o[0], n.op)} - ${TANH(f(o[0], n.op))}`,
  hardshrink: (o, n) => {
    const l = num(kw(n, "lambd", 1), 0.5, n.op);
    return `tl.where(tl.abs(${f(o[0], n.op)}) > ${floatLit(l)}, ${f(o[0], n.op)}, 0.0)`;
  },
  softshrink: (o, n) => {
    const l = num(kw(n, "lambd", 1), 0.5, n.op);
    const x = f(o[0], n.op);
    return `tl.where(${x} > ${floatLit(l)}, ${x} - ${floatLit(l)}, tl.where(${x} < ${floatLit(-l)}, ${x} + ${floatLit(l)}, 0.0))`;
  },
  threshold: (o, n) => {
    const t = num(n.args[1], undefined, n.op);
    const v = num(n.args[2], undefined, n.op);
    return `tl.where(${f(o[0], n.op)} > ${floatLit(t)}, ${f(o[0], n.op)}, ${floatLit(v)})`;
  },
  pow: (o, n) => {
    const base = o[0];
    const e = o[1];
    if (e && e.kind === "c") {
      const ex = num(e.value, undefined, n.op);
      const r = powExpr(f(base, n.op), ex);
      if (r) return r;
      return `tl.exp(${floatLit(ex)} * tl.log(${f(base, n.op)}))`;
    }
    if (base && base.kind === "c") return `tl.exp(${f(e, n.op)} * ${floatLit(Math.log(num(base.value, undefined, n.op)))})`;
    return `tl.exp(${f(e, n.op)} * tl.log(${f(base, n.op)}))`;
  },
  maximum: (o, n, ty) => `tl.maximum(${asTy(o[0], ty, n.op)}, ${asTy(o[1], ty, n.op)})`,
  minimum: (o, n, ty) => `tl.minimum(${asTy(o[0], ty, n.op)}, ${asTy(o[1], ty, n.op)})`,
  clamp: (o, n, ty) => {
    let x = asTy(o[0], ty, n.op);
    const lo = o[1];
    const hi = o[2];
    if (lo && !(lo.kind === "c" && lo.value === null)) x = `tl.maximum(${x}, ${asTy(lo, ty, n.op)})`;
    if (hi && !(hi.kind === "c" && hi.value === null)) x = `tl.minimum(${x}, ${asTy(hi, ty, n.op)})`;
    return x;
  },
  clamp_min: (o, n, ty) => `tl.maximum(${asTy(o[0], ty, n.op)}, ${asTy(o[1], ty, n.op)})`,
  clamp_max: (o, n, ty) => `tl.minimum(${asTy(o[0], ty, n.op)}, ${asTy(o[1], ty, n.op)})`,
  where: (o, n, ty) => `tl.where(${condition(o[0], n.op)}, ${asTy(o[1], ty, n.op)}, ${asTy(o[2], ty, n.op)})`,
  // masked_fill(x, mask, value): logsumexp's decomposition zeroes infinite maxima with it
  masked_fill: (o, n, ty) => `tl.where(${condition(o[1], n.op)}, ${asTy(o[2], ty, n.op)}, ${asTy(o[0], ty, n.op)})`,
  gt: compare(">"),
  lt: compare("<"),
  ge: compare(">="),
  le: compare("<="),
  eq: compare("=="),
  ne: compare("!="),
  isnan: (o, n) => `${f(o[0], n.op)} != ${f(o[0], n.op)}`,
  isinf: (o, n) => `tl.abs(${f(o[0], n.op)}) == float("inf")`,
  isfinite: (o, n) => `tl.abs(${f(o[0], n.op)}) < float("inf")`,
  logical_not: (o) => `(${o[0]?.kind === "t" ? o[0].code : "0"} == 0)`,
  logical_and: (o) => `((${o[0]?.kind === "t" ? o[0].code : "1"} != 0) & (${o[1]?.kind === "t" ? o[1].code : "1"} != 0))`,
  logical_or: (o) => `((${o[0]?.kind === "t" ? o[0].code : "0"} != 0) | (${o[1]?.kind === "t" ? o[1].code : "0"} != 0))`,
  // bitwise ops: on bool tensors the logical ones (masks combined with ~, &, |, ^), else on integers
  bitwise_not: (o, n, ty) => (ty === "b" ? POINTWISE["logical_not"]!(o, n, ty) : `~${asTy(o[0], ty, n.op)}`),
  bitwise_and: bitwise("&"),
  __and__: bitwise("&"),
  bitwise_or: bitwise("|"),
  __or__: bitwise("|"),
  bitwise_xor: bitwise("^"),
  __xor__: bitwise("^"),
  to: cast,
  _to_copy: cast,
  type_as: cast,
  lerp: (o, n) => `${f(o[0], n.op)} + ${f(o[2], n.op)} * (${f(o[1], n.op)} - ${f(o[0], n.op)})`,
  addcmul: (o, n) => `${f(o[0], n.op)} + ${floatLit(num(n.kwargs["value"], 1, n.op))} * ${f(o[1], n.op)} * ${f(o[2], n.op)}`,
  addcdiv: (o, n) => `${f(o[0], n.op)} + ${floatLit(num(n.kwargs["value"], 1, n.op))} * ${f(o[1], n.op)} / ${f(o[2], n.op)}`,
};

function bitwise(op: "&" | "|" | "^"): Impl {
  return (o, n, ty) => {
    const side = (x: Operand | undefined): string => (ty === "b" ? `(${condition(x, n.op)})` : `(${asTy(x, ty, n.op)})`);
    return op === "^" && ty === "b" ? `(${side(o[0])} != ${side(o[1])})` : `(${side(o[0])} ${op} ${side(o[1])})`;
  };
}

/** Overloads of reduction names that are elementwise: torch.max(x, y) is maximum(x, y). */
const ELEMENTWISE_OVERLOADS: Record<string, string> = { "aten.max.other": "maximum", "aten.min.other": "minimum" };

function implOf(node: GraphNode): Impl | undefined {
  return POINTWISE[ELEMENTWISE_OVERLOADS[node.target] ?? node.op];
}

export function isPointwise(node: GraphNode): boolean {
  if (!implOf(node)) return false;
  if (node.shape === null || node.dtype === null) return false;
  return true;
}

/** The Triton expression for one pointwise node, given its operands. */
export function pointwiseExpr(node: GraphNode, operands: Operand[]): { code: string; ty: Ty } {
  const impl = implOf(node);
  if (!impl) throw new UnsupportedOp(node.op, "not an elementwise operator the offline author knows");
  const ty = tyOfDtype(node.dtype ?? "float32");
  return { code: impl(operands, node, ty), ty };
}
