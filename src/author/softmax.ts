import { ident, nextPow2, pyList, torchDtype } from "./codegen.js";
import { storeCast, type ModuleBuilder } from "./builder.js";
import type { GraphNode } from "./graph.js";
import type { PwGroup } from "./plan.js";
import { colBlock, fullPtr, kernelParams, launchArgs, rowPrologue, rowSpace, tileFor, type RowOperand, permuted } from "./rowspace.js";
import { epilogueLoad, mainLoad, mainStrides } from "./rowload.js";
import { refOf } from "./reduction.js";

/** Rows up to this many columns are held in registers whole: one read, one write (norms). */
export const WHOLE_ROW_MAX = 8192;
/** Softmax keeps less per element than a norm, so its rows stay whole up to 16384 (16 warps). */
const SOFTMAX_WHOLE_MAX = 16384;

/**
 * Softmax and log-softmax along one dimension, numerically stable: the row maximum is subtracted
 * before exponentiating, so exp never overflows. A row that fits in registers is read once; a
 * longer row is read twice (an online pass that keeps a running maximum and rescales the running
 * sum, then a pass that writes).
 */
export function emitSoftmax(b: ModuleBuilder, node: GraphNode, prologue: PwGroup | null, epilogue: PwGroup | null): void {
  const log = node.op.includes("log");
  const base = prologue ? prologue.root.shape! : b.meta(refOf(node.args[0])).shape;
  const rank = base.length;
  const dim = Number(node.args[1] ?? -1);
  const s = rowSpace(base, rank === 0 ? [] : [dim], mainStrides(b, node, prologue, base));
  const main = mainLoad(b, s, node, prologue);
  const epi = epilogueLoad(b, s, node, epilogue, "full", node.shape!);
  const ops: RowOperand[] = [...main.operands, ...epi.operands, { name: "out", space: "full" }];
  const whole = s.nCols <= SOFTMAX_WHOLE_MAX;
  const { BM, BN } = tileFor(s, !whole && s.unitKept, whole);
  const name = b.kernelName(log ? "log_softmax" : "softmax");
  const outDtype = epilogue ? epilogue.root.dtype! : node.dtype!;
  const what = log ? "log_softmax" : "softmax";
  // few long rows: split each row over many programs (per-chunk maximum and sum, then combined)
  if (!whole && Math.ceil(s.nRows / BM) < 264 && s.nCols >= 8 * BN) {
    const rowBlocks = Math.ceil(s.nRows / BM);
    const nsplit0 = Math.max(1, Math.min(1024, nextPow2(Math.ceil(528 / rowBlocks))));
    const chunk = Math.ceil(Math.ceil(s.nCols / nsplit0) / BN) * BN;
    const nSplit = Math.ceil(s.nCols / chunk);
    const BS = Math.max(2, nextPow2(nSplit));
    const k: string[] = [];
    k.push(`@triton.jit`);
    k.push(`def ${name}(${[...kernelParams(s, ops), "pmax_ptr", "psum_ptr", "CHUNK", "SPLIT", "BLOCK_M: tl.constexpr", "BLOCK_N: tl.constexpr", "BLOCK_S: tl.constexpr", "PHASE: tl.constexpr"].join(", ")}):`);
    k.push(`    # ${what} over dim ${s.red[0]} of ${JSON.stringify(base)}; input: ${main.description}.`);
    k.push(`    # Few long rows: program (rows, c) owns columns [c * CHUNK, (c + 1) * CHUNK). PHASE 0 writes each chunk's`);
    k.push(`    # maximum and its sum of exp(x - maximum); PHASE 1 combines them into the row's and writes the result.`);
    k.push(...rowPrologue(s, ops));
    k.push(`    c_lo = tl.program_id(1) * CHUNK`);
    k.push(`    c_hi = tl.minimum(c_lo + CHUNK, n_cols)`);
    k.push(`    if PHASE == 0:`);
    k.push(`        m = tl.full([BLOCK_M, BLOCK_N], -1.0e30, tl.float32)`);
    k.push(`        l = tl.zeros([BLOCK_M, BLOCK_N], tl.float32)`);
    k.push(`        for start in range(c_lo, c_hi, BLOCK_N):`);
    k.push(...colBlock(s, ops, "start", "            "));
    k.push(...main.lines("            ", "0.0"));
    k.push(`            xv = tl.where(mask, xv, float("-inf"))`);
    k.push(`            m_new = tl.maximum(m, xv)`);
    k.push(`            l = l * tl.exp(m - m_new) + tl.exp(xv - m_new)`);
    k.push(`            m = m_new`);
    k.push(`        c_max = tl.max(m, axis=1)`);
    k.push(`        c_sum = tl.sum(l * tl.exp(m - c_max[:, None]), axis=1)`);
    k.push(`        tl.store(pmax_ptr + rows * SPLIT + tl.program_id(1), c_max, mask=row_mask)`);
    k.push(`        tl.store(psum_ptr + rows * SPLIT + tl.program_id(1), c_sum, mask=row_mask)`);
    k.push(`    else:`);
    k.push(`        sidx = tl.arange(0, BLOCK_S)`);
    k.push(`        smask = row_mask[:, None] & (sidx < SPLIT)[None, :]`);
    k.push(`        pm = tl.load(pmax_ptr + rows[:, None] * SPLIT + sidx[None, :], mask=smask, other=-1.0e30)`);
    k.push(`        ps = tl.load(psum_ptr + rows[:, None] * SPLIT + sidx[None, :], mask=smask, other=0.0)`);
    k.push(`        row_max = tl.max(pm, axis=1)`);
    k.push(`        row_sum = tl.sum(ps * tl.exp(pm - row_max[:, None]), axis=1)`);
    k.push(`        for start in range(c_lo, c_hi, BLOCK_N):`);
    k.push(...colBlock(s, ops, "start", "            "));
    k.push(...main.lines("            ", "0.0"));
    const y = log ? `(xv - row_max[:, None]) - tl.log(row_sum)[:, None]` : `tl.exp(xv - row_max[:, None]) / row_sum[:, None]`;
    k.push(`            y = ${y}`);
    const e = epi.lines("            ", { code: "y", ty: "f" }, "mask");
    k.push(...e.lines);
    k.push(`            tl.store(${fullPtr("out")}, ${e.result.code}${storeCast(outDtype)}, mask=mask)`);
    b.kernels.push(k.join("\n"));
    const finalId = epilogue ? epilogue.root.id : node.id;
    const out = `v_${ident(finalId)}`;
    const views = new Map([...main.views, ...epi.views]);
    b.line(`# ${what} over dim ${s.red[0]}: ${s.nRows} row(s) of ${s.nCols} split into ${nSplit} chunks`);
    b.line(`${out} = torch.empty(${pyList(node.shape!)}, device=${b.device()}, dtype=${torchDtype(outDtype)})`);
    views.set("out", `${out}${permuted(s)}`);
    bindViews(b, ops, views);
    b.line(`pmax = torch.empty((${s.nRows}, ${nSplit}), device=${b.device()}, dtype=torch.float32)`);
    b.line(`psum = torch.empty((${s.nRows}, ${nSplit}), device=${b.device()}, dtype=torch.float32)`);
    b.line(`grid = (triton.cdiv(${s.nRows}, ${BM}), ${nSplit})`);
    for (const ph of [0, 1]) {
      b.line(`${name}[grid](${launchArgs(s, ops, views).join(", ")}, pmax, psum, ${chunk}, ${nSplit}, BLOCK_M=${BM}, BLOCK_N=${BN}, BLOCK_S=${BS}, PHASE=${ph}, num_warps=${warpsFor(BM * BN)})`);
    }
    b.setVal(finalId, out);
    return;
  }

  const k: string[] = [];
  k.push(`@triton.jit`);
  k.push(`def ${name}(${[...kernelParams(s, ops), "BLOCK_M: tl.constexpr", "BLOCK_N: tl.constexpr"].join(", ")}):`);
  k.push(`    # ${what} over dim ${s.red[0]} of ${JSON.stringify(base)}; input: ${main.description}.`);
  k.push(...rowPrologue(s, ops));
  const finish = (indent: string): string[] => {
    const lines: string[] = [];
    if (log) lines.push(`${indent}y = (xv - row_max[:, None]) - tl.log(row_sum)[:, None]`);
    else lines.push(`${indent}y = tl.exp(xv - row_max[:, None]) / row_sum[:, None]`);
    const e = epi.lines(indent, { code: "y", ty: "f" }, "mask");
    lines.push(...e.lines);
    lines.push(`${indent}tl.store(${fullPtr("out")}, ${e.result.code}${storeCast(outDtype)}, mask=mask)`);
    return lines;
  };
  if (whole) {
    k.push(`    # the whole row fits in registers: read it once`);
    k.push(...colBlock(s, ops, "0", "    "));
    k.push(...main.lines("    ", "0.0"));
    k.push(`    xv = tl.where(mask, xv, float("-inf"))`);
    k.push(`    # subtract the row maximum so that exp cannot overflow`);
    k.push(`    row_max = tl.max(xv, axis=1)`);
    k.push(`    row_sum = tl.sum(tl.where(mask, tl.exp(xv - row_max[:, None]), 0.0), axis=1)`);
    k.push(...finish("    "));
  } else {
    k.push(`    # pass 1: running maximum and running sum of exp(x - max) per lane (rescaled when the max grows)`);
    k.push(`    m = tl.full([BLOCK_M, BLOCK_N], -1.0e30, tl.float32)`);
    k.push(`    l = tl.zeros([BLOCK_M, BLOCK_N], tl.float32)`);
    k.push(`    for start in range(0, n_cols, BLOCK_N):`);
    k.push(...colBlock(s, ops, "start", "        "));
    k.push(...main.lines("        ", "0.0"));
    k.push(`        xv = tl.where(mask, xv, float("-inf"))`);
    k.push(`        m_new = tl.maximum(m, xv)`);
    k.push(`        l = l * tl.exp(m - m_new) + tl.exp(xv - m_new)`);
    k.push(`        m = m_new`);
    k.push(`    row_max = tl.max(m, axis=1)`);
    k.push(`    row_sum = tl.sum(l * tl.exp(m - row_max[:, None]), axis=1)`);
    k.push(`    # pass 2: normalise and write`);
    k.push(`    for start in range(0, n_cols, BLOCK_N):`);
    k.push(...colBlock(s, ops, "start", "        "));
    k.push(...main.lines("        ", "0.0"));
    k.push(...finish("        "));
  }
  b.kernels.push(k.join("\n"));

  const finalId = epilogue ? epilogue.root.id : node.id;
  const out = `v_${ident(finalId)}`;
  const views = new Map([...main.views, ...epi.views]);
  b.line(`# ${what} over dim ${s.red[0]}${epilogue ? ` with ${epilogue.nodes.map((n) => n.op).join(" -> ")} fused after it` : ""}`);
  b.line(`${out} = torch.empty(${pyList(node.shape!)}, device=${b.device()}, dtype=${torchDtype(outDtype)})`);
  views.set("out", `${out}${permuted(s)}`);
  bindViews(b, ops, views);
  b.line(`grid = (triton.cdiv(${s.nRows}, ${BM}),)`);
  b.line(`${name}[grid](${launchArgs(s, ops, views).join(", ")}, BLOCK_M=${BM}, BLOCK_N=${BN}, num_warps=${warpsFor(BM * BN)})`);
  b.setVal(finalId, out);
}

export function warpsFor(tile: number): number {
  return tile >= 8192 ? 16 : tile >= 2048 ? 8 : 4;
}

/** Gives each non-trivial view expression a local name so that `.stride()` can be called on it. */
export function bindViews(b: ModuleBuilder, ops: RowOperand[], views: Map<string, string>): void {
  for (const o of ops) {
    const v = views.get(o.name)!;
    if (!/^[A-Za-z_][A-Za-z0-9_.]*$/.test(v)) {
      b.line(`${o.name}_v = ${v}`);
      views.set(o.name, `${o.name}_v`);
    }
  }
}
