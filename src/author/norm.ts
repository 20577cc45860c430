import { floatLit, ident, nextPow2, pyList, torchDtype } from "./codegen.js";
import { attrPath, storeCast, type ModuleBuilder } from "./builder.js";
import { isRef, refId, type Arg, type GraphNode } from "./graph.js";
import type { PwGroup } from "./plan.js";
import { colBlock, fullPtr, fullView, kernelParams, launchArgs, rowPrologue, rowSpace, rowView, tileFor, type RowOperand, permuted } from "./rowspace.js";
import { epilogueLoad, mainLoad, mainStrides } from "./rowload.js";
import { refOf } from "./reduction.js";
import { bindViews, warpsFor, WHOLE_ROW_MAX } from "./softmax.js";
import { UnsupportedOp } from "./pointwise-ops.js";
import { chunkMerge, welfordInit, welfordMerge, welfordStep } from "./welford.js";

/**
 * Normalisations as one row kernel: statistics over the reduced dimensions of each row, then
 * (x - mean) * rstd, the affine weight and bias, and any fused epilogue, in one write.
 *   layer_norm / rms_norm: rows = leading dims, columns = normalized_shape
 *   batch_norm:            rows = channels, columns = batch and spatial dims (eval: running stats)
 *   instance_norm:         rows = (batch, channel), columns = spatial dims
 *   group_norm:            rows = (batch, group), columns = channels of the group and spatial dims
 * The variance is never E[x^2] - E[x]^2, which cancels catastrophically when the mean is large: a
 * row held whole takes deviations from the exact mean in registers; a longer row is read once for
 * its statistics, each lane of the tile running Welford's update over its columns, and the lanes
 * (and the chunks of split rows) are merged with the exact pairwise formula (Chan et al.).
 */
// Long rows are split over programs, about 64 per SM of the H200 (132 SMs): a streaming pass over
// a few thousand programs with short loops keeps more loads in flight than one wave of long loops.
// Measured on KernelBench 40 (16 rows of 4M): 0.46 ms at 4 programs per SM, 0.23 at 16 or 64 (an
// extra 4x in programs changed nothing there, and gave BatchNorm's 64 rows 3% more); rows are
// split while they alone give fewer than 4096 row blocks (GroupNorm's 896 groups: 7.07 ms unsplit,
// 5.61 split); InstanceNorm's 7168 rows (3584 row blocks, now split) time the same either way.
const SPLIT_PROGRAMS = 8448;
const SPLIT_BELOW_ROW_BLOCKS = 4096;

const FINFO_EPS: Record<string, number> = { float32: 1.1920928955078125e-7, float16: 0.0009765625, bfloat16: 0.0078125 };

function optRef(a: Arg | undefined): string | null {
  return a !== undefined && a !== null && isRef(a) ? refId(a) : null;
}

export function emitNorm(b: ModuleBuilder, node: GraphNode, prologue: PwGroup | null, epilogue: PwGroup | null): void {
  const x = refOf(node.args[0]);
  const xShape = prologue ? prologue.root.shape! : b.meta(x).shape;
  const rank = xShape.length;
  const a = node.args;
  let base = xShape;
  let red: number[];
  let w: string | null = null;
  let bias: string | null = null;
  let rm: string | null = null;
  let rv: string | null = null;
  let eps: number;
  let rms = false;
  let chanView: number[] | null = null; // per-channel params are viewed with this shape
  let useBatch = "True";
  let update = "False";
  let momentum = 0.1;
  let grouped = false;
  switch (node.op) {
    case "layer_norm": {
      const ns = (a[1] as number[]).length;
      red = Array.from({ length: ns }, (_, i) => rank - ns + i);
      w = optRef(a[2]);
      bias = optRef(a[3]);
      eps = Number(a[4] ?? 1e-5);
      break;
    }
    case "rms_norm": {
      const ns = (a[1] as number[]).length;
      red = Array.from({ length: ns }, (_, i) => rank - ns + i);
      w = optRef(a[2]);
      eps = a[3] === undefined || a[3] === null ? (FINFO_EPS[node.dtype ?? "float32"] ?? 1.1920928955078125e-7) : Number(a[3]);
      rms = true;
      break;
    }
    case "batch_norm": {
      red = [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2)];
      w = optRef(a[1]);
      bias = optRef(a[2]);
      rm = optRef(a[3]);
      rv = optRef(a[4]);
      momentum = Number(a[6] ?? 0.1);
      eps = Number(a[7] ?? 1e-5);
      chanView = xShape.map((d, i) => (i === 1 ? d : 1));
      const mod = node.module && node.moduleType?.includes("BatchNorm") ? `self.${attrPath(node.module)}` : null;
      if (rm && rv) {
        // the module's mode decides at call time, as in PyTorch: training uses batch statistics
        // and updates the running ones; eval uses the running ones
        useBatch = mod ? `${mod}.training` : a[5] === true ? "True" : "False";
        update = mod ? `${mod}.training` : a[5] === true ? "True" : "False";
      }
      break;
    }
    case "instance_norm": {
      red = Array.from({ length: rank - 2 }, (_, i) => i + 2);
      w = optRef(a[1]);
      bias = optRef(a[2]);
      if (a[5] === false) throw new UnsupportedOp("instance_norm", "instance_norm with use_input_stats=False");
      eps = Number(a[7] ?? 1e-5);
      chanView = xShape.map((d, i) => (i === 1 ? d : 1));
      break;
    }
    case "group_norm": {
      const G = Number(a[1]);
      const C = xShape[1]!;
      base = [xShape[0]!, G, C / G, ...xShape.slice(2)];
      red = Array.from({ length: base.length - 2 }, (_, i) => i + 2);
      w = optRef(a[2]);
      bias = optRef(a[3]);
      eps = Number(a[4] ?? 1e-5);
      chanView = [1, G, C / G, ...xShape.slice(2).map(() => 1)];
      grouped = true;
      break;
    }
    default:
      throw new UnsupportedOp(node.op, "not a normalisation");
  }
  if (grouped && (prologue || epilogue)) throw new Error("internal: group_norm is planned without fusion");
  const s = rowSpace(base, red, grouped ? null : mainStrides(b, node, prologue, base));
  const main = mainLoad(b, s, node, prologue);
  if (grouped) main.views.set("x0", `${b.val(x)}.reshape(${pyList(base)})${permuted(s)}`);
  const epi = epilogueLoad(b, s, node, epilogue, "full", node.shape!);
  const ops: RowOperand[] = [...main.operands];
  const views = new Map([...main.views, ...epi.views]);
  const paramView = (id: string): string => (chanView ? `${b.val(id)}.view(${pyList(chanView)})` : b.val(id));
  // BatchNorm and InstanceNorm scale by channel, and the channel is a kept dimension: the weight
  // and bias are one value per row, loaded once per row instead of once per element
  const perRow = node.op === "batch_norm" || node.op === "instance_norm";
  const keepShape = s.base.map((x, i) => (s.red.includes(i) ? 1 : x));
  if (w) {
    ops.push({ name: "w", space: perRow ? "row" : "full" });
    views.set("w", perRow ? rowView(s, paramView(w), keepShape) : fullView(s, paramView(w)));
  }
  if (bias) {
    ops.push({ name: "b", space: perRow ? "row" : "full" });
    views.set("b", perRow ? rowView(s, paramView(bias), keepShape) : fullView(s, paramView(bias)));
  }
  if (rm && rv) {
    ops.push({ name: "rm", space: "row" }, { name: "rv", space: "row" });
    views.set("rm", rowView(s, paramView(rm), chanView!));
    views.set("rv", rowView(s, paramView(rv), chanView!));
  }
  ops.push(...epi.operands, { name: "out", space: "full" });
  const whole = s.nCols <= WHOLE_ROW_MAX;
  const { BM, BN } = tileFor(s, !whole && s.unitKept, whole);
  // few row blocks of long rows (BatchNorm's channels, GroupNorm's groups): split each row's
  // columns over many programs, the statistics combined through small partial buffers
  const split = !whole && Math.ceil(s.nRows / BM) < SPLIT_BELOW_ROW_BLOCKS && s.nCols >= 8 * BN;
  const name = b.kernelName(node.op);
  const outDtype = epilogue ? epilogue.root.dtype! : node.dtype!;
  const hasRunning = !!(rm && rv);

  const rowParams = (): string[] => [
    ...(perRow && w ? [`    w_row_v = tl.load(w_ptr + w_row, mask=row_mask).to(tl.float32)`] : []),
    ...(perRow && bias ? [`    b_row_v = tl.load(b_ptr + b_row, mask=row_mask).to(tl.float32)`] : []),
  ];
  const k: string[] = [];
  k.push(`@triton.jit`);
  k.push(
    `def ${name}(${[...kernelParams(s, ops), "eps", "momentum", "BLOCK_M: tl.constexpr", "BLOCK_N: tl.constexpr", "USE_BATCH_STATS: tl.constexpr", "UPDATE_RUNNING: tl.constexpr"].join(", ")}):`,
  );
  k.push(`    # ${node.op} of ${JSON.stringify(xShape)}: statistics per row over dims ${JSON.stringify(s.red)} of ${JSON.stringify(base)}; input: ${main.description}.`);
  k.push(...rowPrologue(s, ops), ...rowParams());
  const stats = (indentRows: string): string[] => {
    const L: string[] = [];
    if (rms) {
      L.push(`${indentRows}rstd = 1.0 / tl.sqrt(sq / n_cols + eps)`);
      return L;
    }
    L.push(`${indentRows}rstd = 1.0 / tl.sqrt(var + eps)`);
    return L;
  };
  const normalize = (indent: string): string[] => {
    const L: string[] = [];
    L.push(rms ? `${indent}y = xv * rstd[:, None]` : `${indent}y = (xv - mean[:, None]) * rstd[:, None]`);
    if (w) L.push(perRow ? `${indent}y = y * w_row_v[:, None]` : `${indent}y = y * tl.load(${fullPtr("w")}, mask=mask).to(tl.float32)`);
    if (bias) L.push(perRow ? `${indent}y = y + b_row_v[:, None]` : `${indent}y = y + tl.load(${fullPtr("b")}, mask=mask).to(tl.float32)`);
    const e = epi.lines(indent, { code: "y", ty: "f" }, "mask");
    L.push(...e.lines);
    L.push(`${indent}tl.store(${fullPtr("out")}, ${e.result.code}${storeCast(outDtype)}, mask=mask)`);
    return L;
  };
  const runningStats = (): string[] => {
    if (!hasRunning) return [];
    return [
      `    if USE_BATCH_STATS:`,
      `        pass`,
      `    else:`,
      `        # eval mode: the running statistics replace the batch ones`,
      `        mean = tl.load(rm_ptr + rm_row, mask=row_mask).to(tl.float32)`,
      `        var = tl.load(rv_ptr + rv_row, mask=row_mask).to(tl.float32)`,
    ];
  };
  const updateLines = (): string[] =>
    hasRunning
      ? [
          `    if UPDATE_RUNNING:`,
          `        # training mode: running = (1 - momentum) * running + momentum * batch (unbiased variance)`,
          `        old_m = tl.load(rm_ptr + rm_row, mask=row_mask).to(tl.float32)`,
          `        old_v = tl.load(rv_ptr + rv_row, mask=row_mask).to(tl.float32)`,
          `        tl.store(rm_ptr + rm_row, (1.0 - momentum) * old_m + momentum * mean, mask=row_mask)`,
          `        tl.store(rv_ptr + rv_row, (1.0 - momentum) * old_v + momentum * var * n_cols / tl.maximum(n_cols - 1, 1), mask=row_mask)`,
        ]
      : [];
  const welfordLoop = (lo: string, hi: string, indent: string): string[] => [
    ...welfordInit(indent),
    `${indent}for start in range(${lo}, ${hi}, BLOCK_N):`,
    ...colBlock(s, ops, "start", `${indent}    `),
    ...main.lines(`${indent}    `, "0.0"),
    ...welfordStep(`${indent}    `, lo),
  ];
  function emitSplitNormKernels(): void {
    const rowBlocks = Math.ceil(s.nRows / BM);
    const nsplit0 = Math.max(1, Math.min(1024, nextPow2(Math.ceil(SPLIT_PROGRAMS / rowBlocks))));
    const chunk = Math.ceil(Math.ceil(s.nCols / nsplit0) / BN) * BN;
    const nSplit = Math.ceil(s.nCols / chunk);
    const BS = Math.max(2, nextPow2(nSplit));
    const q: string[] = [];
    q.push(`@triton.jit`);
    q.push(
      `def ${name}(${[...kernelParams(s, ops), "sum_ptr", "dev_ptr", "CHUNK", "SPLIT", "eps", "momentum", "BLOCK_M: tl.constexpr", "BLOCK_N: tl.constexpr", "BLOCK_S: tl.constexpr", "PHASE: tl.constexpr", "USE_BATCH_STATS: tl.constexpr", "UPDATE_RUNNING: tl.constexpr"].join(", ")}):`,
    );
    q.push(`    # ${node.op} of ${JSON.stringify(xShape)}: statistics per row over dims ${JSON.stringify(s.red)} of ${JSON.stringify(base)}; input: ${main.description}.`);
    q.push(`    # Rows are few and long, so program (rows, c) owns columns [c * CHUNK, (c + 1) * CHUNK) of BLOCK_M rows, and the`);
    q.push(`    # statistics go through per-chunk partials: PHASE 0 reads the chunk once for its sum${rms ? " of squares" : " and its sum of squared deviations from its own mean"}, PHASE 1 ${rms ? "" : "merges the chunks' (exactly) and "}normalises.`);
    q.push(...rowPrologue(s, ops), ...rowParams());
    q.push(`    c_lo = tl.program_id(1) * CHUNK`);
    q.push(`    c_hi = tl.minimum(c_lo + CHUNK, n_cols)`);
    q.push(`    sidx = tl.arange(0, BLOCK_S)`);
    q.push(`    soffs = rows[:, None] * SPLIT + sidx[None, :]`);
    q.push(`    smask = row_mask[:, None] & (sidx < SPLIT)[None, :]`);
    q.push(`    if PHASE == 0:`);
    if (rms) {
      q.push(`        acc = tl.zeros([BLOCK_M, BLOCK_N], tl.float32)`);
      q.push(`        for start in range(c_lo, c_hi, BLOCK_N):`, ...colBlock(s, ops, "start", "            "), ...main.lines("            ", "0.0"));
      q.push(`            xv = tl.where(mask, xv, 0.0)`);
      q.push(`            acc = acc + xv * xv`);
      q.push(`        tl.store(sum_ptr + rows * SPLIT + tl.program_id(1), tl.sum(acc, axis=1), mask=row_mask)`);
    } else {
      q.push(...welfordLoop("c_lo", "c_hi", "        "), ...welfordMerge("        ", "c_hi - c_lo"));
      q.push(`        tl.store(sum_ptr + rows * SPLIT + tl.program_id(1), w_sum, mask=row_mask)`);
      q.push(`        tl.store(dev_ptr + rows * SPLIT + tl.program_id(1), w_m2, mask=row_mask)`);
    }
    q.push(`    else:`);
    if (rms) {
      q.push(`        sq = tl.sum(tl.load(sum_ptr + soffs, mask=smask, other=0.0), axis=1)`);
      q.push(`        rstd = 1.0 / tl.sqrt(sq / n_cols + eps)`);
    } else {
      q.push(`        if USE_BATCH_STATS:`);
      q.push(...chunkMerge("            ", "sidx", "smask", "tl.load(sum_ptr + soffs, mask=smask, other=0.0)", "tl.load(dev_ptr + soffs, mask=smask, other=0.0)"));
      q.push(`            var = m2 / n_cols`);
      if (hasRunning) {
        q.push(`        else:`);
        q.push(`            # eval mode: the running statistics replace the batch ones (PHASE 0 did not run)`);
        q.push(`            mean = tl.load(rm_ptr + rm_row, mask=row_mask).to(tl.float32)`);
        q.push(`            var = tl.load(rv_ptr + rv_row, mask=row_mask).to(tl.float32)`);
      }
      q.push(`        rstd = 1.0 / tl.sqrt(var + eps)`);
    }
    q.push(`        for start in range(c_lo, c_hi, BLOCK_N):`);
    q.push(...colBlock(s, ops, "start", "            "), ...main.lines("            ", "0.0"));
    q.push(...normalize("            "));
    if (hasRunning) {
      q.push(`        if UPDATE_RUNNING:`);
      q.push(`            if tl.program_id(1) == 0:`);
      q.push(...updateLines().slice(1).map((l) => `        ${l}`));
    }
    b.kernels.push(q.join("\n"));

    const finalId = epilogue ? epilogue.root.id : node.id;
    const out = `v_${ident(finalId)}`;
    b.line(`# ${node.op}${epilogue ? ` with ${epilogue.nodes.map((n) => n.op).join(" -> ")} fused after it` : ""}: ${s.nRows} row(s) of ${s.nCols} split into ${nSplit} chunks`);
    b.line(`${out} = torch.empty(${pyList(node.shape!)}, device=${b.device()}, dtype=${torchDtype(outDtype)})`);
    views.set("out", grouped ? `${out}.view(${pyList(base)})${permuted(s)}` : `${out}${permuted(s)}`);
    bindViews(b, ops, views);
    let ub = useBatch;
    let upd = update;
    if (hasRunning && useBatch !== "True" && useBatch !== "False") {
      b.line(`use_batch_stats = bool(${useBatch})`);
      ub = "use_batch_stats";
      upd = "use_batch_stats";
    }
    b.line(`part_sum = torch.empty((${s.nRows}, ${nSplit}), device=${b.device()}, dtype=torch.float32)`);
    b.line(`part_dev = torch.empty((${s.nRows}, ${nSplit}), device=${b.device()}, dtype=torch.float32)`);
    b.line(`grid = (triton.cdiv(${s.nRows}, ${BM}), ${nSplit})`);
    const call = (phase: number): string =>
      `${name}[grid](${launchArgs(s, ops, views).join(", ")}, part_sum, part_dev, ${chunk}, ${nSplit}, ${floatLit(eps)}, ${floatLit(momentum)}, BLOCK_M=${BM}, BLOCK_N=${BN}, BLOCK_S=${BS}, PHASE=${phase}, USE_BATCH_STATS=${ub}, UPDATE_RUNNING=${upd}, num_warps=${warpsFor(BM * BN)})`;
    if (ub === "True" || rms) b.line(call(0));
    else if (ub !== "False") {
      b.line(`if ${ub}:`);
      b.line(`    ${call(0)}`);
    }
    b.line(call(1));
    b.setVal(finalId, out);
  }
  if (split) {
    emitSplitNormKernels();
    return;
  }
  if (whole) {
    k.push(`    # the whole row fits in registers: one read, statistics, one write`);
    k.push(...colBlock(s, ops, "0", "    "));
    k.push(...main.lines("    ", "0.0"));
    k.push(`    xv = tl.where(mask, xv, 0.0)`);
    if (rms) {
      k.push(`    sq = tl.sum(xv * xv, axis=1)`);
    } else {
      k.push(`    mean = tl.sum(xv, axis=1) / n_cols`);
      k.push(`    xc = tl.where(mask, xv - mean[:, None], 0.0)`);
      k.push(`    var = tl.sum(xc * xc, axis=1) / n_cols`);
      k.push(...runningStats());
    }
    k.push(...stats("    "));
    k.push(...normalize("    "));
  } else {
    if (rms) {
      k.push(`    # pass 1: sum of squares`);
      k.push(`    acc = tl.zeros([BLOCK_M, BLOCK_N], tl.float32)`);
      k.push(`    for start in range(0, n_cols, BLOCK_N):`);
      k.push(...colBlock(s, ops, "start", "        "), ...main.lines("        ", "0.0"));
      k.push(`        xv = tl.where(mask, xv, 0.0)`, `        acc = acc + xv * xv`);
      k.push(`    sq = tl.sum(acc, axis=1)`);
    } else {
      k.push(`    # pass 1: mean and variance in one read`);
      k.push(...welfordLoop("0", "n_cols", "    "), ...welfordMerge("    ", "n_cols"));
      k.push(`    mean = w_sum / n_cols`, `    var = w_m2 / n_cols`);
      k.push(...runningStats());
    }
    k.push(...stats("    "));
    k.push(`    # last pass: normalise and write`);
    k.push(`    for start in range(0, n_cols, BLOCK_N):`);
    k.push(...colBlock(s, ops, "start", "        "), ...main.lines("        ", "0.0"));
    k.push(...normalize("        "));
  }
  k.push(...updateLines());
  b.kernels.push(k.join("\n"));

  const finalId = epilogue ? epilogue.root.id : node.id;
  const out = `v_${ident(finalId)}`;
  b.line(`# ${node.op}${epilogue ? ` with ${epilogue.nodes.map((n) => n.op).join(" -> ")} fused after it` : ""}`);
  b.line(`${out} = torch.empty(${pyList(node.shape!)}, device=${b.device()}, dtype=${torchDtype(outDtype)})`);
  views.set("out", grouped ? `${out}.view(${pyList(base)})${permuted(s)}` : `${out}${permuted(s)}`);
  bindViews(b, ops, views);
  if (hasRunning && useBatch !== "True" && useBatch !== "False") {
    b.line(`use_batch_stats = bool(${useBatch})`);
    useBatch = "use_batch_stats";
    update = "use_batch_stats";
  }
  b.line(`grid = (triton.cdiv(${s.nRows}, ${BM}),)`);
  b.line(
    `${name}[grid](${launchArgs(s, ops, views).join(", ")}, ${floatLit(eps)}, ${floatLit(momentum)}, BLOCK_M=${BM}, BLOCK_N=${BN}, USE_BATCH_STATS=${useBatch}, UPDATE_RUNNING=${update}, num_warps=${warpsFor(BM * BN)})`,
  );
  b.setVal(finalId, out);
}
