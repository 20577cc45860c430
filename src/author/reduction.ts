import { floatText, ident, nextPow2, pyList, torchDtype } from "./codegen.js";
import { bindViews } from "./softmax.js";
import { storeCast, type ModuleBuilder } from "./builder.js";
import type { Arg, GraphNode } from "./graph.js";
import type { PwGroup } from "./plan.js";
import { colBlock, fullPtr, kernelParams, launchArgs, perm, rowPrologue, rowSpace, rowView, tileFor, type RowOperand, type RowSpace, permuted } from "./rowspace.js";
import { epilogueLoad, mainLoad, mainStrides } from "./rowload.js";
import { chunkMerge, welfordInit, welfordMerge, welfordStep } from "./welford.js";
import { UnsupportedOp } from "./pointwise-ops.js";

/**
 * Reductions (sum, mean, max, min, prod, argmax, argmin, over one or more dimensions, with or
 * without keepdim). Each program owns BLOCK_M rows and walks their columns BLOCK_N at a time, so
 * rows of any length work; partial results stay in a BLOCK_M x BLOCK_N register tile and are
 * reduced once at the end.
 */
type Kind = "sum" | "mean" | "max" | "min" | "prod" | "argmax" | "argmin" | "var" | "std" | "l1" | "l2" | "linf";

export interface ReductionSpec {
  kind: Kind;
  dims: number[] | null;
  keepdim: boolean;
  /** max.dim / min.dim: (values, indices) */
  tuple: boolean;
  /** var / std: the divisor is n - correction */
  correction?: number;
}

function sameShape(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** A float the capture wrote as text ("inf", "-inf", "nan"). */
function dimsArg(a: Arg | undefined): number[] | null {
  if (a === undefined || a === null) return null;
  if (typeof a === "number") return [a];
  if (Array.isArray(a)) return a.length === 0 ? null : a.map((x) => Number(x));
  return null;
}

export function reductionSpec(n: GraphNode): ReductionSpec {
  const t = n.target;
  const keep = (i: number): boolean => (n.kwargs["keepdim"] ?? n.args[i]) === true;
  switch (n.op) {
    case "sum":
    case "mean":
      if (t.endsWith(".default")) return { kind: n.op, dims: null, keepdim: false, tuple: false };
      return { kind: n.op, dims: dimsArg(n.kwargs["dim"] ?? n.args[1]), keepdim: keep(2), tuple: false };
    case "amax":
    case "amin":
      return { kind: n.op === "amax" ? "max" : "min", dims: dimsArg(n.kwargs["dim"] ?? n.args[1]), keepdim: keep(2), tuple: false };
    case "max":
    case "min":
      if (t.endsWith(".default")) return { kind: n.op, dims: null, keepdim: false, tuple: false };
      if (t.endsWith(".dim")) return { kind: n.op, dims: dimsArg(n.args[1]), keepdim: keep(2), tuple: true };
      throw new UnsupportedOp(n.op, `${t}: an overload with no template (the reductions over dims and over everything are covered)`);
    case "prod":
      if (t.endsWith(".default")) return { kind: "prod", dims: null, keepdim: false, tuple: false };
      return { kind: "prod", dims: dimsArg(n.args[1]), keepdim: keep(2), tuple: false };
    case "argmax":
    case "argmin":
      return { kind: n.op, dims: dimsArg(n.kwargs["dim"] ?? n.args[1]), keepdim: keep(2), tuple: false };
    case "linalg_vector_norm":
    case "norm": {
      const ord = n.kwargs["ord"] ?? n.kwargs["p"] ?? n.args[1] ?? 2;
      const p = typeof ord === "number" ? ord : typeof ord === "object" && ord !== null && "float" in ord ? floatText(ord.float) : typeof ord === "string" && ord === "fro" ? 2 : NaN;
      const kind = p === 2 ? "l2" : p === 1 ? "l1" : p === Infinity ? "linf" : null;
      if (!kind) throw new UnsupportedOp(n.op, `a vector norm of order ${JSON.stringify(ord)} here (orders 1, 2 and inf have templates; capture writes the other orders as powers and sums, unless it could not decompose this one)`);
      return { kind, dims: dimsArg(n.kwargs["dim"] ?? n.args[2]), keepdim: (n.kwargs["keepdim"] ?? n.args[3]) === true, tuple: false };
    }
    case "var":
    case "std": {
      if (t.endsWith(".correction")) {
        const c = n.kwargs["correction"];
        return { kind: n.op, dims: dimsArg(n.kwargs["dim"] ?? n.args[1]), keepdim: n.kwargs["keepdim"] === true, tuple: false, correction: typeof c === "number" ? c : 1 };
      }
      if (t.endsWith(".dim")) {
        const unbiased = n.kwargs["unbiased"] ?? n.args[2];
        return { kind: n.op, dims: dimsArg(n.args[1]), keepdim: keep(3), tuple: false, correction: unbiased === false ? 0 : 1 };
      }
      const unbiased = n.args[1];
      return { kind: n.op, dims: null, keepdim: false, tuple: false, correction: unbiased === false ? 0 : 1 };
    }
  }
  throw new UnsupportedOp(n.op, "not a reduction");
}

const INIT: Record<Kind, string> = {
  sum: "0.0", mean: "0.0", prod: "1.0", var: "0.0", std: "0.0", l1: "0.0", l2: "0.0", linf: "0.0",
  max: 'float("-inf")', min: 'float("inf")', argmax: 'float("-inf")', argmin: 'float("inf")',
};

export function emitReduction(b: ModuleBuilder, node: GraphNode, prologue: PwGroup | null, epilogue: PwGroup | null): void {
  const spec = reductionSpec(node);
  const base = prologue ? prologue.root.shape! : b.meta(refOf(node.args[0])).shape;
  const rank = base.length;
  const dims = spec.dims ?? Array.from({ length: rank }, (_, i) => i);
  const indexed = spec.kind === "argmax" || spec.kind === "argmin" || spec.tuple;
  // an index over several dimensions (argmax of the flattened input) counts in logical order, so
  // only order-free reductions visit the columns in memory order
  const strides = indexed && dims.length > 1 ? null : mainStrides(b, node, prologue, base);
  const s = rowSpace(base, rank === 0 ? [] : dims, strides);
  if (indexed && s.red.length > 1 && spec.dims !== null) throw new UnsupportedOp(node.op, "an index reduction over several dimensions");
  // an epilogue over the whole input (x / x.sum(dim, keepdim=True)): the row's result is applied to
  // every element of the row, so the kernel writes the input's shape
  const broadcast = !!epilogue && !sameShape(epilogue.root.shape!, node.shape!);
  const outMeta = spec.tuple ? node.outputs![0]! : { shape: node.shape!, dtype: node.dtype! };
  const idxMeta = spec.tuple ? node.outputs![1]! : null;
  const outShape = outMeta.shape;
  const track = indexed;
  const cmp = spec.kind === "argmax" || (spec.tuple && spec.kind === "max") ? ">" : "<";

  const main = mainLoad(b, s, node, prologue);
  const outOps: RowOperand[] = [{ name: "out", space: broadcast ? "full" : "row" }];
  if (spec.tuple) outOps.push({ name: "idx", space: "row" });
  const epi = epilogueLoad(b, s, node, epilogue, broadcast ? "full" : "row", broadcast ? base : outShape);
  const ops = [...main.operands, ...epi.operands, ...outOps];
  const { BM, BN } = tileFor(s, s.unitKept, false);
  if (!broadcast && splitsColumns(spec, s)) {
    emitSplitReduction(b, node, spec, s, main, epi, outShape, epilogue);
    return;
  }
  // the whole row is one block: statistics that need two passes (var, std) take them in registers
  const single = s.nCols <= BN;
  const name = b.kernelName(`${spec.kind}_reduce`);

  const k: string[] = [];
  k.push(`@triton.jit`);
  k.push(`def ${name}(${[...kernelParams(s, ops), "BLOCK_M: tl.constexpr", "BLOCK_N: tl.constexpr"].join(", ")}):`);
  k.push(`    # ${spec.kind} over dims ${JSON.stringify(s.red)} of ${JSON.stringify(base)} (keepdim=${spec.keepdim}); input: ${main.description}.`);
  k.push(`    # Each program reduces BLOCK_M rows, looping over their n_cols columns BLOCK_N at a time.`);
  k.push(...rowPrologue(s, ops));
  const welford = (spec.kind === "var" || spec.kind === "std") && !single;
  k.push(...(welford ? welfordInit("    ") : [`    acc = tl.full([BLOCK_M, BLOCK_N], ${INIT[spec.kind]}, tl.float32)`]));
  if (track) k.push(`    acc_i = tl.zeros([BLOCK_M, BLOCK_N], ${s.wide ? "tl.int64" : "tl.int32"})`);
  const ind = single ? "    " : "        ";
  if (single) k.push(`    # the row is one block: no loop`);
  else k.push(`    for start in range(0, n_cols, BLOCK_N):`);
  k.push(...colBlock(s, ops, single ? "0" : "start", ind));
  k.push(...main.lines(ind, "0.0"));
  k.push(`${ind}# padding lanes hold the neutral element so they cannot change the result`);
  k.push(`${ind}xv = tl.where(mask, xv, ${INIT[spec.kind]})`);
  switch (spec.kind) {
    case "sum":
    case "mean":
    case "var":
    case "std":
      k.push(...(welford ? welfordStep(ind, "0") : [`${ind}acc = acc + xv`]));
      break;
    case "prod":
      k.push(`${ind}acc = acc * xv`);
      break;
    case "l1":
      k.push(`${ind}acc = acc + tl.abs(xv)`);
      break;
    case "l2":
      k.push(`${ind}acc = acc + xv * xv`);
      break;
    case "linf":
      k.push(`${ind}acc = tl.maximum(acc, tl.abs(xv))`);
      break;
    default:
      if (track) {
        k.push(`${ind}# strict comparison keeps the first occurrence, as PyTorch does`);
        k.push(`${ind}better = xv ${cmp} acc`);
        k.push(`${ind}acc_i = tl.where(better, cols[None, :], acc_i)`);
        k.push(`${ind}acc = tl.where(better, xv, acc)`);
      } else {
        k.push(`${ind}acc = ${spec.kind === "max" ? "tl.maximum" : "tl.minimum"}(acc, xv)`);
      }
  }
  let res = "res";
  switch (spec.kind) {
    case "sum":
      k.push(`    res = tl.sum(acc, axis=1)`);
      break;
    case "mean":
      k.push(`    res = tl.sum(acc, axis=1) / n_cols`);
      break;
    case "var":
    case "std":
      if (single) {
        k.push(`    mean = tl.sum(acc, axis=1) / n_cols`);
        k.push(`    # squared deviations from the mean (stable, unlike E[x^2] - E[x]^2), on the row still in registers`);
        k.push(`    d = tl.where(mask, xv - mean[:, None], 0.0)`);
        k.push(`    res = tl.sum(d * d, axis=1) / (n_cols - ${spec.correction ?? 1})`);
      } else {
        k.push(`    # squared deviations from the mean from the lanes' Welford statistics (stable, one read)`);
        k.push(...welfordMerge("    ", "n_cols"));
        k.push(`    res = w_m2 / (n_cols - ${spec.correction ?? 1})`);
      }
      if (spec.kind === "std") k.push(`    res = tl.sqrt(res)`);
      break;
    case "l1":
      k.push(`    res = tl.sum(acc, axis=1)`);
      break;
    case "l2":
      k.push(`    res = tl.sqrt(tl.sum(acc, axis=1))`);
      break;
    case "linf":
      k.push(`    res = tl.max(acc, axis=1)`);
      break;
    case "prod":
      b.helpers.add(PROD_COMBINE);
      k.push(`    res = tl.reduce(acc, 1, _prod_combine)`);
      break;
    default:
      if (track) {
        k.push(`    best = ${cmp === ">" ? "tl.max" : "tl.min"}(acc, axis=1)`);
        k.push(`    # among lanes holding the best value, the smallest column index wins`);
        k.push(`    res_i = tl.min(tl.where(acc == best[:, None], acc_i, n_cols), axis=1)`);
        if (spec.tuple) k.push(`    res = best`);
        else res = "res_i";
      } else {
        k.push(`    res = ${spec.kind === "max" ? "tl.max" : "tl.min"}(acc, axis=1)`);
      }
  }
  const anchorTy = res === "res_i" ? "i" : "f";
  const outDtype = epilogue ? epilogue.root.dtype! : outMeta.dtype!;
  if (broadcast) {
    // the epilogue over the row's columns: from registers when the row is one block, else one more
    // read of the row (the program's own rows, recently read)
    if (!single) k.push(`    for start in range(0, n_cols, BLOCK_N):`, ...colBlock(s, ops, "start", "        "));
    const e = epi.lines(ind, { code: `${res}[:, None]`, ty: anchorTy }, "mask");
    k.push(...e.lines, `${ind}tl.store(${fullPtr("out")}, ${e.result.code}${storeCast(outDtype)}, mask=mask)`);
  } else {
    const e = epi.lines("    ", { code: res, ty: anchorTy }, "row_mask");
    k.push(...e.lines);
    k.push(`    tl.store(out_ptr + out_row, ${e.result.code}${storeCast(outDtype)}, mask=row_mask)`);
  }
  if (spec.tuple) k.push(`    tl.store(idx_ptr + idx_row, res_i, mask=row_mask)`);
  b.kernels.push(k.join("\n"));

  const finalId = epilogue ? epilogue.root.id : node.id;
  const out = spec.tuple ? `v_${ident(node.id)}_values` : `v_${ident(finalId)}`;
  const views = new Map([...main.views, ...epi.views]);
  b.line(`# ${spec.kind} over dims ${JSON.stringify(s.red)}${epilogue ? ` with ${epilogue.nodes.map((n) => n.op).join(" -> ")} fused after it${broadcast ? " over the whole input" : ""}` : ""}`);
  b.line(`${out} = torch.empty(${pyList(broadcast ? base : outShape)}, device=${b.device()}, dtype=${torchDtype(outDtype)})`);
  views.set("out", broadcast ? `${out}${permuted(s)}` : rowView(s, out, outShape));
  if (spec.tuple) {
    const idx = `v_${ident(node.id)}_indices`;
    b.line(`${idx} = torch.empty(${pyList(idxMeta!.shape)}, device=${b.device()}, dtype=torch.int64)`);
    views.set("idx", rowView(s, idx, idxMeta!.shape));
    b.setVal(`${node.id}#1`, idx);
    b.setVal(`${node.id}#0`, out);
  }
  ops.forEach((o) => {
    const v = views.get(o.name)!;
    if (!/^[A-Za-z_][A-Za-z0-9_.]*$/.test(v)) {
      b.line(`${o.name}_v = ${v}`);
      views.set(o.name, `${o.name}_v`);
    }
  });
  b.line(`grid = (triton.cdiv(${s.nRows}, ${BM}),)`);
  b.line(`${name}[grid](${launchArgs(s, ops, views).join(", ")}, BLOCK_M=${BM}, BLOCK_N=${BN}, num_warps=${BM * BN >= 2048 ? 8 : 4})`);
  if (!spec.tuple) b.setVal(finalId, out);
}

/** Kinds whose partial results combine with one associative operation (var/std: two of them). */
const SPLITTABLE = new Set<Kind>(["sum", "mean", "max", "min", "prod", "l1", "l2", "linf", "var", "std"]);

/** Too few row blocks to fill the GPU (two waves of 132 SMs) and long rows: the columns are split. */
export function splitsColumns(spec: ReductionSpec, s: RowSpace): boolean {
  const { BM, BN } = tileFor(s, s.unitKept, false);
  return SPLITTABLE.has(spec.kind) && !spec.tuple && Math.ceil(s.nRows / BM) < 264 && s.nCols >= 4 * BN;
}

/**
 * Few row blocks, long columns (a sum over everything, a mean over all but the contiguous dim): one
 * program per row block would leave most of the GPU idle, so each row's columns are split into
 * chunks reduced in parallel (stage 1: a partial result per row and chunk in a small buffer), then
 * one short pass combines the partials and applies the epilogue (stage 2). var/std: stage 1 keeps
 * each chunk's sum and its squared deviations from the chunk's own mean (Welford, one read), and
 * stage 2 merges the chunks exactly.
 */
function emitSplitReduction(
  b: ModuleBuilder,
  node: GraphNode,
  spec: ReductionSpec,
  s: RowSpace,
  main: ReturnType<typeof mainLoad>,
  epi: ReturnType<typeof epilogueLoad>,
  outShape: number[],
  epilogue: PwGroup | null,
): void {
  const kind = spec.kind;
  const dev = kind === "var" || kind === "std";
  // tiles: rows along the contiguous dimension when it is kept (coalesced), else one row of long blocks
  const BM = s.unitKept ? Math.max(1, Math.min(64, nextPow2(s.nRows))) : 1;
  const BN = s.unitKept ? Math.max(2, Math.min(nextPow2(s.nCols), Math.floor(4096 / BM))) : Math.min(2048, nextPow2(s.nCols));
  const rowBlocks = Math.ceil(s.nRows / BM);
  // about four programs per SM in all
  const split = Math.max(1, Math.min(1024, nextPow2(Math.ceil(528 / rowBlocks))));
  const chunk = Math.ceil(Math.ceil(s.nCols / split) / BN) * BN;
  const nSplit = Math.ceil(s.nCols / chunk);
  const stageKind: Kind = dev ? "sum" : kind;
  const partialOp = stageKind === "max" || stageKind === "linf" ? "tl.max" : stageKind === "min" ? "tl.min" : stageKind === "prod" ? "prod" : "tl.sum";
  const partInit = stageKind === "max" ? 'float("-inf")' : stageKind === "min" ? 'float("inf")' : stageKind === "prod" ? "1.0" : "0.0";
  const reduceCode = (x: string): string => (partialOp === "prod" ? (b.helpers.add(PROD_COMBINE), `tl.reduce(${x}, 1, _prod_combine)`) : `${partialOp}(${x}, axis=1)`);
  const warps = BM * BN >= 2048 ? 8 : 4;

  const ops1 = main.operands;
  const name1 = b.kernelName(`${kind}_partial`);
  const k: string[] = [];
  k.push(`@triton.jit`);
  k.push(`def ${name1}(${[...kernelParams(s, ops1), "part_ptr", ...(dev ? ["dev_ptr"] : []), "CHUNK", "SPLIT", "BLOCK_M: tl.constexpr", "BLOCK_N: tl.constexpr"].join(", ")}):`);
  k.push(`    # stage 1 of ${kind} over dims ${JSON.stringify(s.red)} of ${JSON.stringify(s.base)}: program (rows, c) reduces columns [c * CHUNK, (c + 1) * CHUNK)`);
  k.push(`    # of its rows (CHUNK is a multiple of BLOCK_N, so chunks never overlap); input: ${main.description}.`);
  if (dev) k.push(`    # Each chunk's sum and its squared deviations from its own mean, in one read (welford.ts).`);
  k.push(...rowPrologue(s, ops1));
  k.push(`    c_lo = tl.program_id(1) * CHUNK`);
  k.push(`    c_hi = tl.minimum(c_lo + CHUNK, n_cols)`);
  k.push(...(dev ? welfordInit("    ") : [`    acc = tl.full([BLOCK_M, BLOCK_N], ${INIT[stageKind]}, tl.float32)`]));
  k.push(`    for start in range(c_lo, c_hi, BLOCK_N):`);
  k.push(...colBlock(s, ops1, "start", "        "));
  k.push(...main.lines("        ", "0.0"));
  if (dev) {
    k.push(...welfordStep("        ", "c_lo"), ...welfordMerge("    ", "c_hi - c_lo"));
    k.push(`    tl.store(part_ptr + rows * SPLIT + tl.program_id(1), w_sum, mask=row_mask)`);
    k.push(`    tl.store(dev_ptr + rows * SPLIT + tl.program_id(1), w_m2, mask=row_mask)`);
  } else {
    k.push(`        xv = tl.where(mask, xv, ${INIT[stageKind]})`);
    const step: Record<string, string> = {
      sum: "acc + xv", mean: "acc + xv", prod: "acc * xv", max: "tl.maximum(acc, xv)", min: "tl.minimum(acc, xv)",
      l1: "acc + tl.abs(xv)", l2: "acc + xv * xv", linf: "tl.maximum(acc, tl.abs(xv))",
    };
    k.push(`        acc = ${step[stageKind]}`);
    k.push(`    tl.store(part_ptr + rows * SPLIT + tl.program_id(1), ${reduceCode("acc")}, mask=row_mask)`);
  }
  b.kernels.push(k.join("\n"));

  const ops2: RowOperand[] = [...epi.operands, { name: "out", space: "row" }];
  const name2 = b.kernelName(`${kind}_combine`);
  const f: string[] = [];
  f.push(`@triton.jit`);
  f.push(`def ${name2}(${["part_ptr", ...(dev ? ["dev_ptr"] : []), ...kernelParams(s, ops2), "SPLIT", ...(dev ? ["CHUNK"] : []), "BLOCK_M: tl.constexpr", "BLOCK_N: tl.constexpr"].join(", ")}):`);
  f.push(`    # stage 2: combine each row's SPLIT partial results, then finish`);
  f.push(...rowPrologue(s, ops2));
  f.push(`    pmask = row_mask[:, None] & (cols0 < SPLIT)[None, :]`);
  f.push(`    p = tl.load(part_ptr + rows[:, None] * SPLIT + cols0[None, :], mask=pmask, other=${partInit})`);
  let res = reduceCode("p");
  if (kind === "mean") res = `${res} / n_cols`;
  if (kind === "l2") res = `tl.sqrt(${res})`;
  if (dev) {
    f.push(...chunkMerge("    ", "cols0", "pmask", "p", "tl.load(dev_ptr + rows[:, None] * SPLIT + cols0[None, :], mask=pmask, other=0.0)"));
    res = `m2 / (n_cols - ${spec.correction ?? 1})`;
  }
  if (kind === "std") res = `tl.sqrt(${res})`;
  f.push(`    res = ${res}`);
  const e = epi.lines("    ", { code: "res", ty: "f" }, "row_mask");
  f.push(...e.lines);
  const outDtype = epilogue ? epilogue.root.dtype! : node.dtype!;
  f.push(`    tl.store(out_ptr + out_row, ${e.result.code}${storeCast(outDtype)}, mask=row_mask)`);
  b.kernels.push(f.join("\n"));

  const finalId = epilogue ? epilogue.root.id : node.id;
  const out = `v_${ident(finalId)}`;
  const views = new Map([...main.views, ...epi.views]);
  b.line(`# ${kind} over dims ${JSON.stringify(s.red)}: ${s.nRows} row(s) of ${s.nCols} split into ${nSplit} chunks, then combined`);
  b.line(`${out} = torch.empty(${pyList(outShape)}, device=${b.device()}, dtype=${torchDtype(outDtype)})`);
  b.line(`part = torch.empty((${s.nRows}, ${nSplit}), device=${b.device()}, dtype=torch.float32)`);
  if (dev) b.line(`part_dev = torch.empty((${s.nRows}, ${nSplit}), device=${b.device()}, dtype=torch.float32)`);
  views.set("out", rowView(s, out, outShape));
  bindViews(b, [...ops1, ...ops2], views);
  const BS = Math.max(2, nextPow2(nSplit));
  const grid1 = `(triton.cdiv(${s.nRows}, ${BM}), ${nSplit})`;
  const parts = dev ? "part, part_dev" : "part";
  b.line(`${name1}[${grid1}](${launchArgs(s, ops1, views).join(", ")}, ${parts}, ${chunk}, ${nSplit}, BLOCK_M=${BM}, BLOCK_N=${BN}, num_warps=${warps})`);
  const BM2 = Math.max(1, Math.min(nextPow2(s.nRows), Math.floor(4096 / BS)));
  b.line(`${name2}[(triton.cdiv(${s.nRows}, ${BM2}),)](${parts}, ${launchArgs(s, ops2, views).join(", ")}, ${nSplit}${dev ? `, ${chunk}` : ""}, BLOCK_M=${BM2}, BLOCK_N=${BS}, num_warps=4)`);
  b.setVal(finalId, out);
}

export const PROD_COMBINE = `@triton.jit
def _prod_combine(a, b):
    # combine function for tl.reduce: the product of two partial products
    return a * b`;

function refOf(a: Arg | undefined): string {
  const r = a as Record<string, string>;
  return r["node"] ?? r["input"] ?? r["param"]!;
}

export { refOf };
