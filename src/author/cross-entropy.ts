import { floatLit, floatText, ident, pyList, torchDtype } from "./codegen.js";
import type { ModuleBuilder } from "./builder.js";
import { isRef, refId, type Arg, type GraphNode } from "./graph.js";
import { colBlock, fullPtr, fullView, kernelParams, launchArgs, rowPrologue, rowSpace, rowView, tileFor, type RowOperand, type RowSpace } from "./rowspace.js";
import { bindViews, warpsFor } from "./softmax.js";
import { UnsupportedOp } from "./pointwise-ops.js";

/**
 * Cross-entropy and NLL losses: class-index targets (weights, ignore_index, label smoothing) or
 * class-probability targets (cross-entropy), reductions none, sum and mean. One row kernel reads
 * each row of logits once (online maximum and sum of exp, plus the sums label smoothing needs),
 * picks the target's logit and writes the row's loss and weight; a one-program kernel sums them
 * for sum/mean, dividing by the sum of the targets' weights (PyTorch's mean). NLL on
 * log-probabilities reads only the target's entry of each row. A cross-entropy row never
 * materialises its log-softmax.
 */
export const LOSS_OPS = new Set(["cross_entropy_loss", "nll_loss", "nll_loss_nd", "nll_loss2d", "nll_loss_forward", "nll_loss2d_forward"]);

interface LossSpec {
  logits: boolean;
  weight: string | null;
  /** 0 none, 1 mean, 2 sum */
  reduction: number;
  ignore: number;
  smoothing: number;
  tuple: boolean;
}

function numArg(a: Arg | undefined, fallback: number): number {
  if (a === undefined || a === null) return fallback;
  if (typeof a === "number") return a;
  if (typeof a === "object" && !Array.isArray(a) && "float" in a) return floatText(a.float);
  return NaN;
}

function lossSpec(n: GraphNode): LossSpec {
  const a = n.args;
  const kw = n.kwargs;
  const w = kw["weight"] ?? a[2];
  const spec: LossSpec = {
    logits: n.op === "cross_entropy_loss",
    weight: w !== undefined && w !== null && isRef(w) ? refId(w) : null,
    reduction: numArg(kw["reduction"] ?? a[3], 1),
    ignore: numArg(kw["ignore_index"] ?? a[4], -100),
    smoothing: n.op === "cross_entropy_loss" ? numArg(kw["label_smoothing"] ?? a[5], 0) : 0,
    tuple: n.op.endsWith("_forward"),
  };
  if (![0, 1, 2].includes(spec.reduction) || !Number.isFinite(spec.ignore) || !Number.isFinite(spec.smoothing)) {
    throw new UnsupportedOp(n.op, `arguments it cannot read (${JSON.stringify(a.slice(2))})`);
  }
  return spec;
}

/** `logSoftmax`: the log_softmax the NLL reads, folded in (the loss then reads its logits). */
export function emitLoss(b: ModuleBuilder, n: GraphNode, logSoftmax: GraphNode | null = null): void {
  const sp = lossSpec(n);
  if (logSoftmax) sp.logits = true;
  const ta = n.args[1];
  const xa = logSoftmax ? logSoftmax.args[0] : n.args[0];
  if (xa === undefined || ta === undefined || !isRef(xa) || !isRef(ta)) throw new UnsupportedOp(n.op, "inputs that are not tensors");
  const x = b.meta(refId(xa));
  const t = b.meta(refId(ta));
  const probs = t.dtype.startsWith("float") || t.dtype === "bfloat16";
  if (probs && !sp.logits) throw new UnsupportedOp(n.op, "NLL with probability targets");
  if (probs && sp.weight === null && t.shape.length !== x.shape.length) throw new UnsupportedOp(n.op, "probability targets of another shape");
  const classDim = x.shape.length >= 2 ? 1 : 0;
  const s = rowSpace(x.shape, [classDim], x.strides);
  const keepShape = x.shape.filter((_, i) => i !== classDim);
  const C = x.shape[classDim]!;
  const ops: RowOperand[] = [{ name: "x", space: "full" }, { name: "t", space: probs ? "full" : "row" }];
  const views = new Map<string, string>([
    ["x", fullView(s, b.val(refId(xa)))],
    ["t", probs ? fullView(s, b.val(refId(ta))) : rowView(s, b.val(refId(ta)), t.shape)],
  ]);
  if (sp.weight) {
    const shape1 = x.shape.map((v, i) => (i === classDim ? v : 1));
    ops.push({ name: "w", space: "full" });
    views.set("w", fullView(s, `${b.val(sp.weight)}.reshape(${pyList(shape1)})`));
  }
  ops.push({ name: "lrow", space: "row" }, { name: "wrow", space: "row" });
  const whole = s.nCols <= 8192;
  const { BM, BN } = tileFor(s, false, whole);
  const name = b.kernelName(sp.logits ? "cross_entropy" : "nll_loss");
  b.kernels.push(rowKernel(name, sp, s, ops, probs, C, BN));

  const id = ident(n.id);
  const lbuf = `loss_${id}`;
  const wbuf = `lw_${id}`;
  b.line(`# ${n.op}: ${s.nRows} row(s) of ${C} classes${sp.smoothing ? `, label smoothing ${sp.smoothing}` : ""}${sp.weight ? ", class weights" : ""}`);
  const outDtype = sp.tuple ? n.outputs![0]!.dtype : n.dtype!;
  b.line(`${lbuf} = torch.empty(${pyList(keepShape)}, device=${b.device()}, dtype=${sp.reduction === 0 ? torchDtype(outDtype) : "torch.float32"})`);
  b.line(`${wbuf} = torch.empty(${pyList(keepShape)}, device=${b.device()}, dtype=torch.float32)`);
  views.set("lrow", rowView(s, lbuf, keepShape));
  views.set("wrow", rowView(s, wbuf, keepShape));
  bindViews(b, ops, views);
  b.line(`${name}[(triton.cdiv(${s.nRows}, ${BM}),)](${launchArgs(s, ops, views).join(", ")}, BLOCK_M=${BM}, BLOCK_N=${BN}, num_warps=${warpsFor(BM * BN)})`);
  const total = `tw_${id}`;
  if (sp.reduction === 0) {
    b.setVal(sp.tuple ? `${n.id}#0` : n.id, lbuf);
    if (sp.tuple) {
      b.line(`${total} = torch.empty((), device=${b.device()}, dtype=torch.${outDtype})`);
      emitSum(b, wbuf, wbuf, total, s.nRows, 0);
      b.setVal(`${n.id}#1`, total);
    }
    return;
  }
  const out = `v_${id}`;
  b.line(`${out} = torch.empty((), device=${b.device()}, dtype=torch.${outDtype})`);
  // mean: by the sum of the targets' weights (class indices), by the number of rows (probabilities)
  emitSum(b, lbuf, wbuf, out, s.nRows, sp.reduction === 2 ? 0 : probs ? 2 : 1);
  if (sp.tuple) {
    b.line(`${total} = torch.empty((), device=${b.device()}, dtype=torch.${outDtype})`);
    emitSum(b, wbuf, wbuf, total, s.nRows, 0);
    b.setVal(`${n.id}#0`, out);
    b.setVal(`${n.id}#1`, total);
  } else b.setVal(n.id, out);
}

function rowKernel(name: string, sp: LossSpec, s: RowSpace, ops: RowOperand[], probs: boolean, C: number, tileBN: number): string {
  const nCols = s.nCols;
  const eps = sp.smoothing;
  const k: string[] = [`@triton.jit`, `def ${name}(${[...kernelParams(s, ops), "BLOCK_M: tl.constexpr", "BLOCK_N: tl.constexpr"].join(", ")}):`];
  k.push(`    # ${sp.logits ? "cross-entropy on logits" : "NLL on log-probabilities"} over ${nCols} classes; ${probs ? "probability targets" : `class-index targets, ignore_index ${sp.ignore}`}.`);
  k.push(`    # Each row of logits is read once: online maximum and sum of exp for log-sum-exp${eps ? ", and the sums label smoothing needs" : ""}.`);
  k.push(...rowPrologue(s, ops));
  const w = sp.weight !== null;
  if (sp.logits) {
    // a row that is one block is read into registers once: its maximum, then one exp per element
    const single = nCols <= tileBN;
    const ind = single ? "    " : "        ";
    const acc = (v: string, e: string): string => (single ? `${ind}${v} = ${e}` : `${ind}${v} += ${e}`);
    const sums = probs ? ["swy", "swyx"] : eps ? ["sw", "sx"] : [];
    if (!single) {
      k.push(`    m = tl.full([BLOCK_M, BLOCK_N], -1.0e30, tl.float32)`);
      k.push(`    l = tl.zeros([BLOCK_M, BLOCK_N], tl.float32)`);
      for (const v of sums) k.push(`    ${v} = tl.zeros([BLOCK_M, BLOCK_N], tl.float32)`);
      k.push(`    for start in range(0, n_cols, BLOCK_N):`);
    }
    k.push(...colBlock(s, ops, single ? "0" : "start", ind));
    k.push(`${ind}xv = tl.load(${fullPtr("x")}, mask=mask, other=0.0).to(tl.float32)`);
    k.push(`${ind}xm = tl.where(mask, xv, float("-inf"))`);
    if (!single) {
      k.push(`${ind}m_new = tl.maximum(m, xm)`);
      k.push(`${ind}l = l * tl.exp(m - m_new) + tl.exp(xm - m_new)`);
      k.push(`${ind}m = m_new`);
    }
    const wv = w ? `tl.load(${fullPtr("w")}, mask=mask, other=0.0).to(tl.float32)` : `tl.where(mask, 1.0, 0.0)`;
    if (probs || eps) k.push(`${ind}wv = ${wv}`);
    if (probs) {
      k.push(`${ind}yv = tl.load(${fullPtr("t")}, mask=mask, other=0.0).to(tl.float32)`);
      if (eps) k.push(`${ind}yv = yv * ${floatLit(1 - eps)} + ${floatLit(eps / C)}`);
      k.push(acc("swy", "tl.where(mask, wv * yv, 0.0)"));
      k.push(acc("swyx", "tl.where(mask, wv * yv * xv, 0.0)"));
    } else if (eps) {
      k.push(acc("sw", "wv"));
      k.push(acc("sx", "tl.where(mask, wv * xv, 0.0)"));
    }
    if (single) {
      k.push(`    row_max = tl.max(xm, axis=1)`);
      k.push(`    lse = row_max + tl.log(tl.sum(tl.exp(xm - row_max[:, None]), axis=1))`);
    } else {
      k.push(`    row_max = tl.max(m, axis=1)`);
      k.push(`    lse = row_max + tl.log(tl.sum(l * tl.exp(m - row_max[:, None]), axis=1))`);
    }
  }
  if (probs) {
    k.push(`    # -sum_c w_c y_c log_softmax(x)_c = lse * sum(w y) - sum(w y x)`);
    k.push(`    loss = lse * tl.sum(swy, axis=1) - tl.sum(swyx, axis=1)`);
    k.push(`    wt = tl.where(row_mask, 1.0, 0.0)`);
  } else {
    k.push(`    tgt = tl.load(t_ptr + t_row, mask=row_mask, other=${sp.ignore})`);
    k.push(`    valid = row_mask & (tgt != ${sp.ignore})`);
    k.push(`    tc = tl.where(valid, tgt, 0)`);
    k.push(`    xt = tl.load(x_ptr + x_row + tc * x_d0, mask=valid, other=0.0).to(tl.float32)`);
    k.push(w ? `    wt = tl.load(w_ptr + w_row + tc * w_d0, mask=valid, other=0.0).to(tl.float32)` : `    wt = tl.where(valid, 1.0, 0.0)`);
    k.push(sp.logits ? `    loss = wt * (lse - xt)` : `    loss = -wt * xt`);
    if (eps) {
      k.push(`    # label smoothing: (1 - eps) * nll + eps / C * (-sum_c w_c log_softmax(x)_c)`);
      k.push(`    smooth = lse * tl.sum(sw, axis=1) - tl.sum(sx, axis=1)`);
      k.push(`    loss = ${floatLit(1 - eps)} * loss + ${floatLit(eps / C)} * tl.where(valid, smooth, 0.0)`);
    }
    k.push(`    loss = tl.where(valid, loss, 0.0)`);
  }
  k.push(`    tl.store(lrow_ptr + lrow_row, loss.to(lrow_ptr.dtype.element_ty), mask=row_mask)`);
  k.push(`    tl.store(wrow_ptr + wrow_row, wt, mask=row_mask)`);
  return k.join("\n");
}

const SUM_KERNEL = `@triton.jit
def _loss_total(l_ptr, w_ptr, out_ptr, n, DIV: tl.constexpr, BLOCK: tl.constexpr):
    # one program sums the per-row losses in a fixed order; DIV 1 divides by the summed weights,
    # DIV 2 by the number of rows
    acc = tl.zeros([BLOCK], tl.float32)
    wacc = tl.zeros([BLOCK], tl.float32)
    for start in range(0, n, BLOCK):
        offs = start + tl.arange(0, BLOCK)
        m = offs < n
        acc += tl.load(l_ptr + offs, mask=m, other=0.0).to(tl.float32)
        if DIV == 1:
            wacc += tl.load(w_ptr + offs, mask=m, other=0.0)
    total = tl.sum(acc, axis=0)
    if DIV == 1:
        total = total / tl.sum(wacc, axis=0)
    if DIV == 2:
        total = total / n
    tl.store(out_ptr, total.to(out_ptr.dtype.element_ty))`;

function emitSum(b: ModuleBuilder, l: string, w: string, out: string, n: number, div: number): void {
  b.helpers.add(SUM_KERNEL);
  b.line(`_loss_total[(1,)](${l}, ${w}, ${out}, ${n}, DIV=${div}, BLOCK=1024)`);
}
