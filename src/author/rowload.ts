import { ident } from "./codegen.js";
import { groupBody, loadSuffix, type LoadedValue, type ModuleBuilder } from "./builder.js";
import { isRef, refId, type GraphNode } from "./graph.js";
import type { PwGroup } from "./plan.js";
import { fullPtr, fullView, rowView, type RowOperand, type RowSpace } from "./rowspace.js";

/**
 * The main input of a row kernel: either a tensor read as is, or a pointwise chain (prologue)
 * folded into the load, so the chain's result never goes to memory.
 */
export interface MainLoad {
  operands: RowOperand[];
  views: Map<string, string>;
  /** kernel lines (inside a column block) that leave the value in `xv` as fp32 (integers and bools: as `intAs`, fp32 unless given) */
  lines(indent: string, other: string, intAs?: string): string[];
  description: string;
}

/** Strides of the main input laid over the row space's base shape, when they are known. */
export function mainStrides(b: ModuleBuilder, node: GraphNode, prologue: PwGroup | null, base: number[]): number[] | null {
  const same = (m: { shape: number[] }): boolean => m.shape.length === base.length && m.shape.every((x, i) => x === base[i]);
  if (prologue) {
    const full = prologue.externals.map((id) => b.meta(id)).find(same);
    return full ? full.strides : null;
  }
  const first = node.args[0];
  if (first === undefined || !isRef(first)) return null;
  const m = b.meta(refId(first));
  return same(m) ? m.strides : null;
}

export function mainLoad(b: ModuleBuilder, s: RowSpace, node: GraphNode, prologue: PwGroup | null): MainLoad {
  const first = node.args[0];
  if (first === undefined || !isRef(first)) throw new Error(`internal: ${node.id} has no tensor input`);
  const inputs = prologue ? prologue.externals : [refId(first)];
  const operands: RowOperand[] = inputs.map((_, j) => ({ name: `x${j}`, space: "full" }));
  const views = new Map<string, string>();
  inputs.forEach((id, j) => views.set(`x${j}`, fullView(s, b.val(id))));
  return {
    operands,
    views,
    description: prologue ? `${prologue.nodes.map((n) => n.op).join(" -> ")} (folded into the load)` : ident(refId(first)),
    lines(indent: string, other: string, intAs = "tl.float32"): string[] {
      const tiles = tileLoads(b, inputs, indent, other);
      return [...tiles.lines, ...inputLines(prologue, inputs[0]!, tiles.loaded, indent, "xv", "prologue", intAs)];
    },
  };
}

/** Kernel lines loading each value's tile once, as x0, x1, ... in `ids` order (masked lanes `other`). */
export function tileLoads(b: ModuleBuilder, ids: string[], indent: string, other: string): { lines: string[]; loaded: Map<string, LoadedValue> } {
  const lines: string[] = [];
  const loaded = new Map<string, LoadedValue>();
  ids.forEach((id, j) => {
    const { ty, suffix } = loadSuffix(b.meta(id).dtype);
    lines.push(`${indent}x${j} = tl.load(${fullPtr(`x${j}`)}, mask=mask, other=${other})${suffix}  # ${id}`);
    loaded.set(id, { code: `x${j}`, ty });
  });
  return { lines, loaded };
}

/**
 * Kernel lines leaving a row kernel's input in `name` as fp32 (integers and bools as `intAs`): the
 * loaded tile of `id` as it is, or the prologue computed on the loaded tiles (`label` names it).
 */
export function inputLines(prologue: PwGroup | null, id: string, loaded: Map<string, LoadedValue>, indent: string, name: string, label: string, intAs = "tl.float32"): string[] {
  const out: string[] = [];
  let v = loaded.get(id)!;
  if (prologue) {
    out.push(`${indent}# ${label}: ${prologue.nodes.map((n) => n.op).join(" -> ")}, computed on the loaded tile${loaded.size > 1 ? "s" : ""}`);
    const body = groupBody(prologue, loaded, indent);
    out.push(...body.lines);
    v = body.result;
  }
  out.push(`${indent}${name} = ${v.ty === "f" ? v.code : `${v.code}.to(${intAs})`}`);
  return out;
}

/** Operands and kernel lines of an epilogue: a pointwise chain applied to the kernel's result. */
export interface EpilogueLoad {
  operands: RowOperand[];
  views: Map<string, string>;
  lines(indent: string, anchor: LoadedValue, maskExpr: string): { lines: string[]; result: LoadedValue };
}

export function epilogueLoad(
  b: ModuleBuilder,
  s: RowSpace,
  node: GraphNode,
  epilogue: PwGroup | null,
  space: "full" | "row",
  outShape: number[],
): EpilogueLoad {
  const ext = epilogue ? epilogue.externals : [];
  const operands: RowOperand[] = ext.map((_, j) => ({ name: `e${j}`, space }));
  const views = new Map<string, string>();
  ext.forEach((id, j) => views.set(`e${j}`, space === "full" ? fullView(s, b.val(id)) : rowView(s, b.val(id), outShape)));
  return {
    operands,
    views,
    lines(indent, anchor, maskExpr) {
      if (!epilogue) return { lines: [], result: anchor };
      const out: string[] = [`${indent}# epilogue: ${epilogue.nodes.map((n) => n.op).join(" -> ")}, applied before the store`];
      const loaded = new Map<string, LoadedValue>([[node.id, anchor]]);
      ext.forEach((id, j) => {
        const { ty, suffix } = loadSuffix(b.meta(id).dtype);
        const ptr = space === "full" ? fullPtr(`e${j}`) : `e${j}_ptr + e${j}_row`;
        out.push(`${indent}ev${j} = tl.load(${ptr}, mask=${maskExpr})${suffix}  # ${id}`);
        loaded.set(id, { code: `ev${j}`, ty });
      });
      const body = groupBody(epilogue, loaded, indent);
      out.push(...body.lines);
      return { lines: out, result: body.result };
    },
  };
}
