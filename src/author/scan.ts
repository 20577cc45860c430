import { ident, pyList, torchDtype } from "./codegen.js";
import { storeCast, type ModuleBuilder } from "./builder.js";
import type { GraphNode } from "./graph.js";
import type { PwGroup } from "./plan.js";
import { colBlock, fullPtr, fullView, kernelParams, launchArgs, rowPrologue, rowSpace, tileFor, type RowOperand } from "./rowspace.js";
import { mainLoad, mainStrides } from "./rowload.js";
import { refOf } from "./reduction.js";
import { bindViews, warpsFor } from "./softmax.js";
import { UnsupportedOp } from "./pointwise-ops.js";

/**
 * Scans along one dimension: cumsum, cumprod, logcumsumexp, and cummax/cummin (values and
 * indices, PyTorch's tie and NaN rules). A program owns BLOCK_M rows (the other
 * dimensions) and walks the scanned dimension BLOCK_N columns at a time: each block is scanned in
 * registers and offset by the running total of the blocks before it (the carry), so every element
 * is read once and written once. A pointwise chain feeding the scan (a masked scan: x * mask) is
 * folded into the load; a flip of the input or of the result along the scanned dimension (a
 * reversed scan) is folded into the column index, and a scan whose result is a part of a `cat`
 * (an exclusive scan: zeros, then the scan of all but the last element) writes into that part of
 * the concatenation directly.
 */
export const SCAN_OPS = new Set(["cumsum", "cumprod", "logcumsumexp", "cummax", "cummin"]);

/** cummax/cummin return indices: a flip around them would change which index is reported. */
export function scanTakesFlips(n: GraphNode): boolean {
  return n.op !== "cummax" && n.op !== "cummin";
}

function extremeCombine(op: string): string {
  const cmp = op === "cummax" ? ">=" : "<=";
  return `@triton.jit
def _${op}_combine(av, ai, bv, bi):
    # PyTorch's rule: the later element wins when it is NaN, or when neither is NaN and it is ${cmp} the
    # running ${op === "cummax" ? "maximum" : "minimum"} (so the index of the last occurrence is reported)
    take = (bv != bv) | ((av == av) & (bv ${cmp} av))
    return tl.where(take, bv, av), tl.where(take, bi, ai)`;
}

const LOGADDEXP = `@triton.jit
def _logaddexp(a, b):
    # log(exp(a) + exp(b)) without overflow: the larger one plus log(1 + exp(smaller - larger))
    m = tl.maximum(a, b)
    d = tl.minimum(a, b) - m
    return tl.where(m == float("-inf"), m, m + tl.log(1.0 + tl.exp(d)))`;

export interface ScanStep {
  node: GraphNode;
  prologue: PwGroup | null;
  /** a flip of the input along the scanned dimension, read in place (the node is not emitted) */
  flipIn: GraphNode | null;
  /** a flip of the result along the scanned dimension: the scan writes the flipped result */
  flipOut: GraphNode | null;
}

export function scanDim(n: GraphNode, rank: number): number {
  const d = Number(n.kwargs["dim"] ?? n.args[1]);
  return d < 0 ? d + rank : d;
}

/** Emits the scan; `into` is a Python expression of a view to write to (a part of a cat). */
export function emitScan(b: ModuleBuilder, step: ScanStep, into: string | null = null): void {
  const { node, prologue, flipIn, flipOut } = step;
  const src = flipIn ?? node;
  const base = prologue ? prologue.root.shape! : b.meta(refOf(src.args[0])).shape;
  const rank = base.length;
  const dim = rank === 0 ? 0 : scanDim(node, rank);
  const extreme = !scanTakesFlips(node);
  const outDtype = extreme ? node.outputs![0]!.dtype : node.dtype!;
  const acc = outDtype === "float64" ? "tl.float64" : outDtype.startsWith("int") || outDtype === "uint8" ? "tl.int64" : "tl.float32";
  const inDtype = prologue ? prologue.root.dtype! : b.meta(refOf(src.args[0])).dtype;
  // integer sums and products are exact in int64 (fp32 would round past 2^24); running extremes of
  // integers would need their type's bounds for the padding lanes
  const integral = inDtype.startsWith("int") || inDtype === "uint8";
  if (integral && (extreme || acc !== "tl.int64")) throw new UnsupportedOp(node.op, `a scan of ${inDtype} values to ${outDtype}`);
  const s = rowSpace(base, rank === 0 ? [] : [dim], mainStrides(b, src, prologue, base));
  const main = mainLoad(b, s, src, prologue);
  const ops: RowOperand[] = [...main.operands, { name: "out", space: "full" }, ...(extreme ? [{ name: "idx", space: "full" as const }] : [])];
  const { BM, BN } = tileFor(s, s.unitKept, false);
  const prod = node.op === "cumprod";
  const lse = node.op === "logcumsumexp";
  if (lse && acc !== "tl.float32") throw new UnsupportedOp(node.op, `a ${outDtype} result`);
  const unit = extreme ? (node.op === "cummax" ? 'float("-inf")' : 'float("inf")') : lse ? 'float("-inf")' : acc === "tl.int64" ? (prod ? "1" : "0") : prod ? "1.0" : "0.0";
  const name = b.kernelName(node.op);
  const reversed = (flipIn ? "input read reversed" : "") + (flipIn && flipOut ? ", " : "") + (flipOut ? "result written reversed" : "");
  const k: string[] = [];
  k.push(`@triton.jit`);
  k.push(`def ${name}(${[...kernelParams(s, ops), "BLOCK_M: tl.constexpr", "BLOCK_N: tl.constexpr"].join(", ")}):`);
  k.push(`    # ${node.op} along dim ${dim} of ${JSON.stringify(base)}; input: ${main.description}${reversed ? ` (${reversed})` : ""}.`);
  k.push(`    # Each element is read once and written once: a block is scanned in registers, then offset by the carry.`);
  k.push(...rowPrologue(s, ops));
  k.push(`    carry = tl.full([BLOCK_M], ${unit}, ${acc})`);
  if (extreme) k.push(`    carry_i = tl.zeros([BLOCK_M], tl.int64)`);
  k.push(`    for start in range(0, n_cols, BLOCK_N):`);
  k.push(...colBlock(s, ops, "start", "        "));
  // a flip along the scanned (only) column dimension reads/writes column n_cols - 1 - c
  if (flipIn) for (const o of main.operands) k.push(`        ${o.name}_col = (n_cols - 1 - c0) * ${o.name}_d0`);
  if (flipOut) k.push(`        out_col = (n_cols - 1 - c0) * out_d0`);
  k.push(...main.lines("        ", unit, acc === "tl.int64" ? "tl.int64" : undefined));
  k.push(`        xv = tl.where(mask, xv, ${unit}).to(${acc})`);
  if (lse) b.helpers.add(LOGADDEXP);
  if (extreme) {
    const fn = `_${node.op}_combine`;
    b.helpers.add(extremeCombine(node.op));
    k.push(`        ci = tl.broadcast_to(cols[None, :], (BLOCK_M, BLOCK_N)).to(tl.int64)`);
    k.push(`        y, yi = tl.associative_scan((xv, ci), 1, ${fn})`);
    k.push(`        y, yi = ${fn}(carry[:, None], carry_i[:, None], y, yi)`);
    k.push(`        tl.store(${fullPtr("idx")}, yi, mask=mask)`);
    k.push(`        carry_i = tl.sum(tl.where((cols == tl.minimum(start + BLOCK_N, n_cols) - 1)[None, :], yi, 0), axis=1)`);
  } else k.push(
    lse
      ? `        y = _logaddexp(tl.associative_scan(xv, 1, _logaddexp), carry[:, None])`
      : prod
        ? `        y = tl.cumprod(xv, axis=1) * carry[:, None]`
        : `        y = tl.cumsum(xv, axis=1) + carry[:, None]`,
  );
  k.push(`        tl.store(${fullPtr("out")}, y${storeCast(outDtype)}, mask=mask)`);
  k.push(`        # the carry: each row's value at the block's last column`);
  k.push(`        last = tl.minimum(start + BLOCK_N, n_cols) - 1`);
  k.push(`        carry = tl.sum(tl.where((cols == last)[None, :], y, 0), axis=1)`);
  b.kernels.push(k.join("\n"));

  const finalId = flipOut ? flipOut.id : node.id;
  const out = `v_${ident(finalId)}`;
  const idx = `i_${ident(finalId)}`;
  const views = new Map(main.views);
  b.line(`# ${node.op} along dim ${dim}: ${s.nRows} row(s) of ${s.nCols}${reversed ? ` (${reversed})` : ""}`);
  if (into) b.line(`${out} = ${into}`);
  else b.line(`${out} = torch.empty(${pyList(extreme ? node.outputs![0]!.shape : node.shape!)}, device=${b.device()}, dtype=${torchDtype(outDtype)})`);
  views.set("out", fullView(s, out));
  if (extreme) {
    b.line(`${idx} = torch.empty(${pyList(node.outputs![1]!.shape)}, device=${b.device()}, dtype=torch.int64)`);
    views.set("idx", fullView(s, idx));
  }
  bindViews(b, ops, views);
  b.line(`grid = (triton.cdiv(${s.nRows}, ${BM}),)`);
  b.line(`${name}[grid](${launchArgs(s, ops, views).join(", ")}, BLOCK_M=${BM}, BLOCK_N=${BN}, num_warps=${warpsFor(BM * BN)})`);
  if (extreme) {
    b.setVal(`${node.id}#0`, out);
    b.setVal(`${node.id}#1`, idx);
  } else b.setVal(finalId, out);
}
