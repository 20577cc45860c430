import { isRef, refId, type Arg, type GraphNode } from "./graph.js";
import { UnsupportedOp } from "./pointwise-ops.js";

/**
 * The parameters of a convolution node, whatever ATen form capture recorded: conv1d/2d/3d
 * (`.default`, or `.padding` with "same"/"valid"), conv_transpose1d/2d/3d (`.input`) and the
 * generic `convolution`. Arguments the call left at their defaults are absent from the node, so
 * they are filled in here; single-element lists broadcast to every spatial dimension.
 */

export const CONV_OPS = new Set(["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "convolution"]);

export interface ConvSpec {
  x: string;
  w: string;
  bias: string | null;
  /** number of spatial dimensions (1, 2 or 3) */
  S: number;
  transposed: boolean;
  stride: number[];
  /** padding before each spatial dimension (after it too, except for "same" with an even span) */
  padLo: number[];
  /** "same": output size = input size (stride 1), the odd padding element going after */
  same: boolean;
  dilation: number[];
  outputPadding: number[];
  groups: number;
  /** kernel sizes, from the weight's shape */
  kernel: number[];
}

const ARG_ORDER: Record<string, string[]> = {
  conv: ["input", "weight", "bias", "stride", "padding", "dilation", "groups"],
  conv_transpose: ["input", "weight", "bias", "stride", "padding", "output_padding", "groups", "dilation"],
  convolution: ["input", "weight", "bias", "stride", "padding", "dilation", "transposed", "output_padding", "groups"],
};

function argsByName(n: GraphNode): Map<string, Arg> {
  const order = n.op === "convolution" ? ARG_ORDER.convolution! : n.op.startsWith("conv_transpose") ? ARG_ORDER.conv_transpose! : ARG_ORDER.conv!;
  const m = new Map<string, Arg>();
  n.args.forEach((a, i) => {
    const name = order[i];
    if (name) m.set(name, a);
  });
  for (const [k, v] of Object.entries(n.kwargs)) m.set(k, v);
  return m;
}

function ints(a: Arg | undefined, S: number, dflt: number, what: string, n: GraphNode): number[] {
  if (a === undefined || a === null) return Array<number>(S).fill(dflt);
  const xs = Array.isArray(a) ? a : [a];
  if (!xs.every((x) => typeof x === "number" && Number.isInteger(x))) throw new UnsupportedOp(n.op, `a ${what} that is not a list of integers (${JSON.stringify(a)})`);
  const nums = xs as number[];
  if (nums.length === 1) return Array<number>(S).fill(nums[0]!);
  if (nums.length !== S) throw new UnsupportedOp(n.op, `${what} ${JSON.stringify(a)} for ${S} spatial dimensions`);
  return nums;
}

function tensor(a: Arg | undefined, what: string, n: GraphNode): string {
  if (a === undefined || !isRef(a)) throw new UnsupportedOp(n.op, `a ${what} that is not a tensor`);
  return refId(a);
}

/** The convolution's parameters; the weight's shape (from `shapeOf`) gives the spatial rank and kernel sizes. */
export function convSpec(n: GraphNode, shapeOf: (id: string) => number[]): ConvSpec {
  const a = argsByName(n);
  const w = tensor(a.get("weight"), "weight", n);
  const weightShape = shapeOf(w);
  const S = weightShape.length - 2;
  if (S < 1 || S > 3) throw new UnsupportedOp(n.op, `a convolution with ${S} spatial dimensions`);
  const transposed = n.op === "convolution" ? a.get("transposed") === true : n.op.startsWith("conv_transpose");
  const biasArg = a.get("bias");
  const pad = a.get("padding");
  const kernel = weightShape.slice(2);
  const dilation = ints(a.get("dilation"), S, 1, "dilation", n);
  let same = false;
  let padLo: number[];
  if (pad === "same") {
    same = true;
    // PyTorch puts the odd element of an even span after the input
    padLo = kernel.map((k, d) => Math.floor((dilation[d]! * (k - 1)) / 2));
  } else if (pad === "valid") {
    padLo = Array<number>(S).fill(0);
  } else {
    padLo = ints(pad, S, 0, "padding", n);
  }
  const stride = ints(a.get("stride"), S, 1, "stride", n);
  if (same && stride.some((s) => s !== 1)) throw new UnsupportedOp(n.op, "padding='same' with a stride other than 1");
  const groups = a.get("groups") ?? 1;
  if (typeof groups !== "number" || !Number.isInteger(groups) || groups < 1) throw new UnsupportedOp(n.op, `groups=${JSON.stringify(groups)}`);
  return {
    x: tensor(a.get("input"), "input", n),
    w,
    bias: biasArg === undefined || biasArg === null ? null : tensor(biasArg, "bias", n),
    S,
    transposed,
    stride,
    padLo,
    same,
    dilation,
    outputPadding: transposed ? ints(a.get("output_padding"), S, 0, "output_padding", n) : Array<number>(S).fill(0),
    groups,
    kernel,
  };
}

/**
 * The Python expression of output size d from the input's size `inSize` (an expression): the
 * formulas of torch.nn.Conv*d / ConvTranspose*d.
 */
export function outSizeExpr(sp: ConvSpec, d: number, inSize: string): string {
  const k = sp.kernel[d]!;
  const s = sp.stride[d]!;
  const p = sp.padLo[d]!;
  const dl = sp.dilation[d]!;
  if (sp.transposed) return `(${inSize} - 1) * ${s} - ${2 * p} + ${dl * (k - 1) + sp.outputPadding[d]! + 1}`;
  if (sp.same) return inSize;
  const shift = 2 * p - dl * (k - 1) - 1;
  return `(${inSize} ${shift < 0 ? "-" : "+"} ${Math.abs(shift)}) // ${s} + 1`;
}

/** The same formula on numbers (for the captured shapes). */
export function outSize(sp: ConvSpec, d: number, inSize: number): number {
  const k = sp.kernel[d]!;
  const s = sp.stride[d]!;
  const p = sp.padLo[d]!;
  const dl = sp.dilation[d]!;
  if (sp.transposed) return (inSize - 1) * s - 2 * p + dl * (k - 1) + sp.outputPadding[d]! + 1;
  if (sp.same) return inSize;
  return Math.floor((inSize + 2 * p - dl * (k - 1) - 1) / s) + 1;
}
