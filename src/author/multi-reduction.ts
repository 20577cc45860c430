import { ident, pyList, torchDtype } from "./codegen.js";
import { storeCast, type ModuleBuilder } from "./builder.js";
import type { CapturedGraph, GraphNode } from "./graph.js";
import type { PwGroup } from "./plan.js";
import { valueMeta } from "./plan.js";
import { colBlock, kernelParams, launchArgs, rowPrologue, rowSpace, rowView, tileFor, type RowOperand, type RowSpace } from "./rowspace.js";
import { mainLoad, mainStrides } from "./rowload.js";
import { PROD_COMBINE, reductionSpec, refOf, type ReductionSpec } from "./reduction.js";
import { welfordInit, welfordMerge, welfordStep } from "./welford.js";
import { emitSplitMultiReduction } from "./multi-reduction-split.js";
import { chainReads, emitSharedInputReduction, sharesRows } from "./shared-input-reduction.js";
import { bindViews, warpsFor } from "./softmax.js";

/**
 * Several reductions of one input over the same dimensions (mean and variance, sum and max, a
 * norm and a maximum, ...) as one kernel: each tile is loaded once and feeds every accumulator the
 * reductions need (sum, sum of |x|, sum of squares, max, min, product, the first arg-max/arg-min);
 * variance and standard deviation take their squared deviations from the exact mean in registers
 * when the row is one block, else from Welford statistics gathered in the same pass (welford.ts).
 * max/min with indices join as their arg-max/arg-min accumulator, storing values and indices.
 * Few long rows: multi-reduction-split.ts.
 */
export type Acc = "sum" | "abs" | "sq" | "max" | "min" | "amax" | "prod" | "argmax" | "argmin";

const ACC_OF: Record<string, Acc> = {
  sum: "sum", mean: "sum", var: "sum", std: "sum", l1: "abs", l2: "sq", linf: "amax", max: "max", min: "min", prod: "prod", argmax: "argmax", argmin: "argmin",
};
export const ACC_INIT: Record<Acc, string> = {
  sum: "0.0", abs: "0.0", sq: "0.0", amax: "0.0", prod: "1.0", max: 'float("-inf")', min: 'float("inf")', argmax: 'float("-inf")', argmin: 'float("inf")',
};

/** Reduced dims of a reduction node, normalised (sorted, non-negative); null when not groupable. */
export function groupKey(n: GraphNode, rank: number): string | null {
  let spec;
  try {
    spec = reductionSpec(n);
  } catch {
    return null;
  }
  const dims = (spec.dims ?? Array.from({ length: rank }, (_, i) => i)).map((d) => (d < 0 ? d + rank : d));
  const sorted = [...new Set(dims)].sort((a, b) => a - b);
  // index reductions over several dims count in logical order: their row space differs
  if ((spec.kind === "argmax" || spec.kind === "argmin" || spec.tuple) && sorted.length > 1) return null;
  return `${refOf(n.args[0])}|${sorted.join(",")}`;
}

/** The rows a reduction reduces, whatever its input: the input's shape and the reduced dims. */
export function rowsKey(g: CapturedGraph, n: GraphNode): string | null {
  const m = valueMeta(g, refOf(n.args[0]));
  const key = m ? groupKey(n, m.shape.length) : null;
  return m && key ? `${m.shape.join("x")}|${key.slice(key.lastIndexOf("|") + 1)}` : null;
}

/** max/min with indices (`torch.max(x, dim)`) keep the arg-max/arg-min accumulator: values and index. */
export function accOf(sp: ReductionSpec): Acc {
  if (sp.tuple) return sp.kind === "max" ? "argmax" : "argmin";
  return ACC_OF[sp.kind]!;
}

export function emitMultiReduction(b: ModuleBuilder, nodes: GraphNode[], prologues: (PwGroup | null)[]): void {
  const first = nodes[0]!;
  if (prologues.some((p) => p !== null) || nodes.some((n) => refOf(n.args[0]) !== refOf(first.args[0]))) {
    emitSharedInputReduction(b, nodes, prologues);
    return;
  }
  const specs = nodes.map(reductionSpec);
  const base = b.meta(refOf(first.args[0])).shape;
  const rank = base.length;
  const dims = specs[0]!.dims ?? Array.from({ length: rank }, (_, i) => i);
  // index reductions group over one dim only (groupKey), where the visiting order of the kept
  // dims does not change the index: every group takes the input's memory order
  const s = rowSpace(base, rank === 0 ? [] : dims, mainStrides(b, first, null, base));
  const main = mainLoad(b, s, first, null);
  const ops = [...main.operands, ...outOperands(specs)];
  const accs = [...new Set(specs.map(accOf))];
  const tile = tileFor(s, s.unitKept, false);
  const dev = specs.some((sp) => sp.kind === "var" || sp.kind === "std");
  // several accumulators share the registers of one (a variance over rows longer than one block
  // adds Welford's two; a row that fits one block stays whole, deviations taken in registers)
  const nAcc = accs.length + (dev && s.nCols > tile.BN ? 2 : 0);
  const BN = nAcc > 2 && tile.BN >= 64 ? tile.BN / 2 : tile.BN;
  const BM = tile.BM;
  const single = s.nCols <= BN;
  const kinds = specs.map((sp) => sp.kind).join(", ");
  const name = b.kernelName("multi_reduce");
  if (fewLongRows(s)) {
    emitSplitMultiReduction(b, nodes, specs, s, main, accs, name);
    return;
  }
  const k: string[] = [`@triton.jit`, `def ${name}(${[...kernelParams(s, ops), "BLOCK_M: tl.constexpr", "BLOCK_N: tl.constexpr"].join(", ")}):`];
  k.push(`    # ${kinds} over dims ${JSON.stringify(s.red)} of ${JSON.stringify(base)}, in one pass: every tile of ${main.description} is loaded once`);
  k.push(`    # and feeds each accumulator (${accs.join(", ")}).`);
  k.push(...rowPrologue(s, ops));
  if (dev && !single) k.push(...welfordInit("    "));
  for (const a of accs) {
    k.push(`    acc_${a} = tl.full([BLOCK_M, BLOCK_N], ${ACC_INIT[a]}, tl.float32)`);
    if (a === "argmax" || a === "argmin") k.push(`    idx_${a} = tl.zeros([BLOCK_M, BLOCK_N], ${s.wide ? "tl.int64" : "tl.int32"})`);
  }
  const ind = single ? "    " : "        ";
  k.push(single ? `    # the row is one block: no loop` : `    for start in range(0, n_cols, BLOCK_N):`);
  k.push(...colBlock(s, ops, single ? "0" : "start", ind));
  k.push(...main.lines(ind, "0.0"));
  for (const a of accs) k.push(...accStep(a, ind));
  if (dev && !single) k.push(...welfordStep(ind, "0"));
  if (dev && single) {
    k.push(`    mean = tl.sum(acc_sum, axis=1) / n_cols`);
    k.push(`    # squared deviations from the exact mean, on the row still in registers`);
    k.push(`    d = tl.where(mask, xv - mean[:, None], 0.0)`);
    k.push(`    dev = tl.sum(d * d, axis=1)`);
  } else if (dev) {
    k.push(`    # squared deviations from the mean, from the lanes' Welford statistics (no second pass)`);
    k.push(...welfordMerge("    ", "n_cols"), `    dev = w_m2`);
  }
  if (accs.includes("prod")) b.helpers.add(PROD_COMBINE);
  k.push(...resultLines(nodes, specs));
  b.kernels.push(k.join("\n"));

  const views = new Map(main.views);
  b.line(`# ${kinds} over dims ${JSON.stringify(s.red)}: one kernel reads the input once for all of them`);
  allocOutputs(b, s, nodes, specs, views);
  bindViews(b, ops, views);
  b.line(`grid = (triton.cdiv(${s.nRows}, ${BM}),)`);
  b.line(`${name}[grid](${launchArgs(s, ops, views).join(", ")}, BLOCK_M=${BM}, BLOCK_N=${BN}, num_warps=${warpsFor(BM * BN * Math.min(accs.length, 2))})`);
}

/** Kernel lines: one accumulator's update with the tile `xv` (padding lanes hold its neutral value). */
export function accStep(a: Acc, ind: string, xv = "xv", acc = `acc_${a}`): string[] {
  const x = `tl.where(mask, ${xv}, ${ACC_INIT[a]})`;
  if (a === "argmax" || a === "argmin") {
    return [
      `${ind}x_${a} = ${x}`,
      `${ind}better = x_${a} ${a === "argmax" ? ">" : "<"} acc_${a}  # strict: the first occurrence wins`,
      `${ind}idx_${a} = tl.where(better, cols[None, :], idx_${a})`,
      `${ind}acc_${a} = tl.where(better, x_${a}, acc_${a})`,
    ];
  }
  const step: Record<Exclude<Acc, "argmax" | "argmin">, string> = {
    sum: `${acc} + ${x}`, abs: `${acc} + tl.abs(${x})`, sq: `${acc} + ${x} * ${x}`, amax: `tl.maximum(${acc}, tl.abs(${x}))`,
    prod: `${acc} * ${x}`, max: `tl.maximum(${acc}, ${x})`, min: `tl.minimum(${acc}, ${x})`,
  };
  return [`${ind}${acc} = ${step[a]}`];
}

/**
 * Kernel lines: each member's result from the accumulators (reduced along axis 1: a row's lanes, or
 * its chunks' partials) and `dev` (squared deviations, for var/std), stored to its outputs.
 * `accName` names member j's accumulator of a kind (one set shared by all members by default).
 */
export function resultLines(nodes: GraphNode[], specs: ReductionSpec[], accName: (j: number, a: Acc) => string = (_, a) => `acc_${a}`): string[] {
  const k: string[] = [];
  specs.forEach((sp, j) => {
    const acc = (a: Acc): string => accName(j, a);
    const r: Record<string, string> = {
      sum: `tl.sum(${acc("sum")}, axis=1)`, mean: `tl.sum(${acc("sum")}, axis=1) / n_cols`, l1: `tl.sum(${acc("abs")}, axis=1)`, l2: `tl.sqrt(tl.sum(${acc("sq")}, axis=1))`,
      linf: `tl.max(${acc("amax")}, axis=1)`, max: `tl.max(${acc("max")}, axis=1)`, min: `tl.min(${acc("min")}, axis=1)`, prod: `tl.reduce(${acc("prod")}, 1, _prod_combine)`,
      var: `dev / (n_cols - ${sp.correction ?? 1})`, std: `tl.sqrt(dev / (n_cols - ${sp.correction ?? 1}))`,
    };
    if (sp.kind === "argmax" || sp.kind === "argmin" || sp.tuple) {
      const a = accOf(sp);
      k.push(`    best_${j} = ${a === "argmax" ? "tl.max" : "tl.min"}(acc_${a}, axis=1)`);
      k.push(`    res_${j} = tl.min(tl.where(acc_${a} == best_${j}[:, None], idx_${a}, n_cols), axis=1)`);
    } else k.push(`    res_${j} = ${r[sp.kind]}`);
    if (sp.tuple) {
      k.push(`    # values and indices`);
      k.push(`    tl.store(o${j}_ptr + o${j}_row, best_${j}${storeCast(nodes[j]!.outputs![0]!.dtype!)}, mask=row_mask)`);
      k.push(`    tl.store(o${j}i_ptr + o${j}i_row, res_${j}, mask=row_mask)`);
    } else k.push(`    tl.store(o${j}_ptr + o${j}_row, res_${j}${storeCast(nodes[j]!.dtype!)}, mask=row_mask)`);
  });
  return k;
}

/** The group's output operands (a max/min with indices writes two). */
export function outOperands(specs: ReductionSpec[]): RowOperand[] {
  return specs.flatMap((sp, j): RowOperand[] => [
    { name: `o${j}`, space: "row" },
    ...(sp.tuple ? [{ name: `o${j}i`, space: "row" as const }] : []),
  ]);
}

/** Wrapper lines: every member's output tensors, and their views on the row space in `views`. */
export function allocOutputs(b: ModuleBuilder, s: RowSpace, nodes: GraphNode[], specs: ReductionSpec[], views: Map<string, string>): void {
  nodes.forEach((n, j) => {
    if (specs[j]!.tuple) {
      const [vm, im] = [n.outputs![0]!, n.outputs![1]!];
      const [vals, idx] = [`v_${ident(n.id)}_values`, `v_${ident(n.id)}_indices`];
      b.line(`${vals} = torch.empty(${pyList(vm.shape)}, device=${b.device()}, dtype=${torchDtype(vm.dtype)})`);
      b.line(`${idx} = torch.empty(${pyList(im.shape)}, device=${b.device()}, dtype=torch.int64)`);
      views.set(`o${j}`, rowView(s, vals, vm.shape));
      views.set(`o${j}i`, rowView(s, idx, im.shape));
      b.setVal(`${n.id}#0`, vals);
      b.setVal(`${n.id}#1`, idx);
      return;
    }
    const out = `v_${ident(n.id)}`;
    b.line(`${out} = torch.empty(${pyList(n.shape!)}, device=${b.device()}, dtype=${torchDtype(n.dtype!)})`);
    views.set(`o${j}`, rowView(s, out, n.shape!));
    b.setVal(n.id, out);
  });
}

/** Too few row blocks to fill the GPU (two waves of 132 SMs) and long rows: the columns are split. */
function fewLongRows(s: RowSpace): boolean {
  const { BM, BN } = tileFor(s, s.unitKept, false);
  return Math.ceil(s.nRows / BM) < 264 && s.nCols >= 4 * BN;
}

/**
 * Groups of reductions (two or more) that read the same value over the same dims, with no
 * prologue or epilogue of their own, keyed by the first member's id. Over few long rows the group
 * is split across programs (multi-reduction-split.ts); index reductions then keep their own kernels.
 * Then the reductions left (with a prologue or not) over rows of one shape whose inputs read a
 * common value: one pass for them all (shared-input-reduction.ts), where the rows fill the GPU.
 */
export function planMultiReductions(g: CapturedGraph, candidates: GraphNode[], prologueOf: Map<string, PwGroup>): Map<string, GraphNode[]> {
  const out = sameInputGroups(g, candidates.filter((n) => !prologueOf.has(n.id)));
  const grouped = new Set([...out.values()].flat().map((n) => n.id));
  for (const [id, members] of sharedInputGroups(g, candidates.filter((n) => !grouped.has(n.id)), prologueOf)) out.set(id, members);
  return out;
}

function sameInputGroups(g: CapturedGraph, candidates: GraphNode[]): Map<string, GraphNode[]> {
  const byKey = new Map<string, GraphNode[]>();
  for (const n of candidates) {
    const m = valueMeta(g, refOf(n.args[0]));
    if (!m) continue;
    const key = groupKey(n, m.shape.length);
    if (key === null) continue;
    const spec = reductionSpec(n);
    const dims = spec.dims ?? Array.from({ length: m.shape.length }, (_, i) => i);
    // few long rows are split across programs, which index reductions do not do
    const indexed = spec.tuple || spec.kind === "argmax" || spec.kind === "argmin";
    if (indexed && fewLongRows(rowSpace(m.shape, m.shape.length === 0 ? [] : dims, m.strides))) continue;
    byKey.set(key, [...(byKey.get(key) ?? []), n]);
  }
  const out = new Map<string, GraphNode[]>();
  for (const members of byKey.values()) if (members.length > 1) out.set(members[0]!.id, members);
  return out;
}

/** Clusters of order-free reductions over rows of one shape and dims whose inputs share a read value. */
function sharedInputGroups(g: CapturedGraph, candidates: GraphNode[], prologueOf: Map<string, PwGroup>): Map<string, GraphNode[]> {
  const clusters: { key: string; reads: Set<string>; members: GraphNode[] }[] = [];
  for (const n of candidates) {
    if (!sharesRows(n)) continue;
    const key = rowsKey(g, n);
    if (!key) continue;
    const reads = chainReads(n, prologueOf.get(n.id) ?? null);
    const c = clusters.find((c0) => c0.key === key && reads.some((r) => c0.reads.has(r)));
    if (c) {
      c.members.push(n);
      reads.forEach((r) => c.reads.add(r));
    } else clusters.push({ key, reads: new Set(reads), members: [n] });
  }
  const out = new Map<string, GraphNode[]>();
  for (const c of clusters) {
    const m = valueMeta(g, refOf(c.members[0]!.args[0]))!;
    const spec = reductionSpec(c.members[0]!);
    const dims = spec.dims ?? Array.from({ length: m.shape.length }, (_, i) => i);
    // few long rows would want their columns split, which this kernel does not do
    if (c.members.length > 1 && !fewLongRows(rowSpace(m.shape, m.shape.length === 0 ? [] : dims, m.strides))) out.set(c.members[0]!.id, c.members);
  }
  return out;
}
