import type { ConvPrecision } from "./conv-precision.js";
import type { CapturedGraph, GraphNode } from "./graph.js";
import { ident, tyOfDtype, tlDtype, type Ty } from "./codegen.js";
import { pointwiseExpr, type Operand } from "./pointwise-ops.js";
import type { PwGroup } from "./plan.js";
import { isRef, refId } from "./graph.js";
import { valueMeta } from "./plan.js";

/**
 * Collects the pieces of the generated module: Triton kernels (module level) and the lines of
 * ModelNew.forward, and knows the Python expression that holds each graph value.
 */
/** The precisions the emitted kernels chose where the reference's own is a guess (author.ts retries the other). */
export interface PrecisionsUsed {
  /** an fp32 matrix product on three TF32 products */
  tf32x3Products: boolean;
  /** fp32 convolutions on the tensor cores, by the precision they match */
  conv: Set<ConvPrecision>;
}

export class ModuleBuilder {
  readonly kernels: string[] = [];
  readonly helpers = new Set<string>();
  readonly forward: string[] = [];
  private readonly vals = new Map<string, string>();
  private counter = 0;

  constructor(
    readonly graph: CapturedGraph,
    readonly options: AuthorOptions = {},
    /** the precisions the kernels choose, recorded as they are emitted */
    readonly used: PrecisionsUsed = { tf32x3Products: false, conv: new Set() },
  ) {
    for (const i of graph.inputs) this.vals.set(i.id, ident(i.id));
    for (const p of graph.params) this.vals.set(p.id, `self.${attrPath(p.name)}`);
  }

  /** Python expression of a value (input, parameter, or an earlier step's result). */
  val(id: string): string {
    const v = this.vals.get(id);
    if (!v) throw new Error(`internal: value ${id} used before it was produced`);
    return v;
  }

  setVal(id: string, expr: string): void {
    this.vals.set(id, expr);
  }

  has(id: string): boolean {
    return this.vals.has(id);
  }

  meta(id: string): { shape: number[]; dtype: string; strides: number[] } {
    const m = valueMeta(this.graph, id);
    if (!m) throw new Error(`internal: no shape/dtype for value ${id}`);
    return m;
  }

  /** A fresh kernel name, e.g. k3_softmax. */
  kernelName(kind: string): string {
    return `k${this.counter++}_${kind}`;
  }

  line(s: string): void {
    this.forward.push(s);
  }

  device(): string {
    const first = this.graph.inputs[0];
    return first ? `${ident(first.id)}.device` : `next(self.parameters()).device`;
  }
}

export interface AuthorOptions {
  /**
   * fp32 matrix products: "tf32x3" (default: three TF32 tensor-core products, close to fp32
   * accuracy and several times faster) or "ieee" (fp32 FMA, summed in plain k order like cuBLAS).
   */
  fp32Products?: "tf32x3" | "ieee";
  /** fp32 convolutions: match this precision instead of the one predicted (conv-precision.ts) */
  convPrecision?: ConvPrecision;
  /**
   * tensor-core convolutions' operand layout: "k-major" (default: a channels-last copy of the
   * input and the weight with input channels contiguous, both contiguous along the reduction, both
   * rounded to TF32 in their copies where the layer is TF32; conv-gemm-kmajor.ts) or "mn-major"
   * (the input in its own layout, the weight with output channels contiguous, each tile rounded)
   */
  convOperands?: "mn-major" | "k-major";
}

/** "layers.0.weight" -> "layers[0].weight" (ModuleList/Sequential children are indexed). */
export function attrPath(name: string): string {
  return name
    .split(".")
    .map((part, i) => (/^\d+$/.test(part) ? `[${part}]` : i === 0 ? part : `.${part}`))
    .join("");
}

/** How a kernel body gets an external value: the name of a register variable already loaded. */
export interface LoadedValue {
  code: string;
  ty: Ty;
}

/**
 * Lines computing a pointwise group in registers. `loaded` maps each external value (and the anchor
 * the group is fused onto) to a register variable; returns the lines and the root's variable.
 */
export function groupBody(grp: PwGroup, loaded: Map<string, LoadedValue>, indent: string): { lines: string[]; result: LoadedValue } {
  const lines: string[] = [];
  const local = new Map(loaded);
  let last: LoadedValue | null = null;
  for (const n of grp.nodes) {
    const operands: Operand[] = n.args.map((a) => {
      if (isRef(a)) {
        const v = local.get(refId(a));
        if (!v) throw new Error(`internal: ${refId(a)} not loaded for ${n.id}`);
        return { kind: "t", code: v.code, ty: v.ty };
      }
      return { kind: "c", value: a };
    });
    // tensors passed by keyword (rare: where(cond, self=..., other=...)) are appended in order
    for (const v of Object.values(n.kwargs)) {
      if (isRef(v)) {
        const lv = local.get(refId(v));
        if (lv) operands.push({ kind: "t", code: lv.code, ty: lv.ty });
      }
    }
    const e = pointwiseExpr(n, operands);
    const name = `t_${ident(n.id)}`;
    lines.push(`${indent}${name} = ${e.code}  # ${n.op}${n.line ? ` (line ${n.line})` : ""}`);
    last = { code: name, ty: e.ty };
    local.set(n.id, last);
  }
  if (!last) throw new Error("internal: empty pointwise group");
  return { lines, result: last };
}

/** The register type of a loaded tensor element, and the load suffix that gets it there. */
export function loadSuffix(dtype: string): { ty: Ty; suffix: string } {
  const ty = tyOfDtype(dtype);
  if (ty === "f") return { ty, suffix: ".to(tl.float32)" };
  return { ty, suffix: "" };
}

export function storeCast(dtype: string): string {
  return `.to(${tlDtype(dtype)})`;
}

export function nodeLabel(n: GraphNode): string {
  return `${n.op}${n.line ? ` at line ${n.line}` : ""}`;
}
