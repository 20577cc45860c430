import { nextPow2 } from "./codegen.js";
import type { ModuleBuilder } from "./builder.js";
import type { GraphNode } from "./graph.js";
import { colBlock, kernelParams, launchArgs, rowPrologue, type RowSpace } from "./rowspace.js";
import type { MainLoad } from "./rowload.js";
import { PROD_COMBINE, type ReductionSpec } from "./reduction.js";
import { bindViews } from "./softmax.js";
import { chunkMerge, welfordInit, welfordMerge, welfordStep } from "./welford.js";
import { ACC_INIT, accStep, allocOutputs, outOperands, resultLines, type Acc } from "./multi-reduction.js";

/**
 * A one-pass group over few long rows (mean and std over all but the contiguous dim, ...): each
 * row's columns are split into chunks over about four programs per SM, as for a single split
 * reduction. Stage 1 reads each chunk once and writes one partial per accumulator (and, for
 * var/std, the chunk's Welford sum and squared deviations); stage 2 combines each row's partials
 * and writes every member's result. Index reductions do not split (groupKey keeps them apart).
 */
const PARTIAL: Record<Exclude<Acc, "argmax" | "argmin">, string> = {
  sum: "tl.sum", abs: "tl.sum", sq: "tl.sum", amax: "tl.max", max: "tl.max", min: "tl.min", prod: "prod",
};

function reduced(a: Acc, x: string): string {
  const op = PARTIAL[a as keyof typeof PARTIAL];
  return op === "prod" ? `tl.reduce(${x}, 1, _prod_combine)` : `${op}(${x}, axis=1)`;
}

export function emitSplitMultiReduction(b: ModuleBuilder, nodes: GraphNode[], specs: ReductionSpec[], s: RowSpace, main: MainLoad, accs: Acc[], name: string): void {
  const dev = specs.some((sp) => sp.kind === "var" || sp.kind === "std");
  // tiles as for a single split reduction: rows along the contiguous dim when it is kept
  const BM = s.unitKept ? Math.max(1, Math.min(64, nextPow2(s.nRows))) : 1;
  const BN0 = s.unitKept ? Math.max(2, Math.min(nextPow2(s.nCols), Math.floor(4096 / BM))) : Math.min(2048, nextPow2(s.nCols));
  const BN = accs.length + (dev ? 2 : 0) > 2 && BN0 >= 64 ? BN0 / 2 : BN0;
  const rowBlocks = Math.ceil(s.nRows / BM);
  const want = Math.max(1, Math.min(1024, nextPow2(Math.ceil(528 / rowBlocks))));
  const chunk = Math.ceil(Math.ceil(s.nCols / want) / BN) * BN;
  const nSplit = Math.ceil(s.nCols / chunk);
  const BS = Math.max(2, nextPow2(nSplit));
  const parts = [...accs.map((a) => `p_${a}`), ...(dev ? ["p_wsum", "p_wm2"] : [])];
  if (accs.includes("prod")) b.helpers.add(PROD_COMBINE);

  const k: string[] = [`@triton.jit`, `def ${name}_partial(${[...kernelParams(s, main.operands), ...parts.map((p) => `${p}_ptr`), "CHUNK", "SPLIT", "BLOCK_M: tl.constexpr", "BLOCK_N: tl.constexpr"].join(", ")}):`];
  k.push(`    # stage 1: program (rows, c) reads columns [c * CHUNK, (c + 1) * CHUNK) of its rows once, for every accumulator (${accs.join(", ")})`);
  k.push(...rowPrologue(s, main.operands));
  k.push(`    c_lo = tl.program_id(1) * CHUNK`, `    c_hi = tl.minimum(c_lo + CHUNK, n_cols)`);
  for (const a of accs) k.push(`    acc_${a} = tl.full([BLOCK_M, BLOCK_N], ${ACC_INIT[a]}, tl.float32)`);
  if (dev) k.push(...welfordInit("    "));
  k.push(`    for start in range(c_lo, c_hi, BLOCK_N):`, ...colBlock(s, main.operands, "start", "        "), ...main.lines("        ", "0.0"));
  for (const a of accs) k.push(...accStep(a, "        "));
  if (dev) k.push(...welfordStep("        ", "c_lo"), ...welfordMerge("    ", "c_hi - c_lo"));
  k.push(`    at = rows * SPLIT + tl.program_id(1)`);
  for (const a of accs) k.push(`    tl.store(p_${a}_ptr + at, ${reduced(a, `acc_${a}`)}, mask=row_mask)`);
  if (dev) k.push(`    tl.store(p_wsum_ptr + at, w_sum, mask=row_mask)`, `    tl.store(p_wm2_ptr + at, w_m2, mask=row_mask)`);
  b.kernels.push(k.join("\n"));

  const outs = outOperands(specs);
  const f: string[] = [`@triton.jit`, `def ${name}_combine(${[...parts.map((p) => `${p}_ptr`), ...kernelParams(s, outs), "SPLIT", "CHUNK", "BLOCK_M: tl.constexpr", "BLOCK_N: tl.constexpr"].join(", ")}):`];
  f.push(`    # stage 2: each row's SPLIT partials, combined as its lanes would be, then every result`);
  f.push(...rowPrologue(s, outs));
  f.push(`    pmask = row_mask[:, None] & (cols0 < SPLIT)[None, :]`, `    poffs = rows[:, None] * SPLIT + cols0[None, :]`);
  for (const a of accs) f.push(`    acc_${a} = tl.load(p_${a}_ptr + poffs, mask=pmask, other=${ACC_INIT[a]})`);
  if (dev) {
    f.push(...chunkMerge("    ", "cols0", "pmask", "tl.load(p_wsum_ptr + poffs, mask=pmask, other=0.0)", "tl.load(p_wm2_ptr + poffs, mask=pmask, other=0.0)"));
    f.push(`    dev = m2`);
  }
  f.push(...resultLines(nodes, specs));
  b.kernels.push(f.join("\n"));

  const views = new Map(main.views);
  b.line(`# ${specs.map((sp) => sp.kind).join(", ")} over dims ${JSON.stringify(s.red)}: ${s.nRows} row(s) of ${s.nCols} split into ${nSplit} chunks, each read once for all of them`);
  allocOutputs(b, s, nodes, specs, views);
  for (const p of parts) b.line(`${p} = torch.empty((${s.nRows}, ${nSplit}), device=${b.device()}, dtype=torch.float32)`);
  bindViews(b, [...main.operands, ...outs], views);
  b.line(`${name}_partial[(triton.cdiv(${s.nRows}, ${BM}), ${nSplit})](${[...launchArgs(s, main.operands, views), ...parts].join(", ")}, ${chunk}, ${nSplit}, BLOCK_M=${BM}, BLOCK_N=${BN}, num_warps=${BM * BN >= 2048 ? 8 : 4})`);
  const BM2 = Math.max(1, Math.min(nextPow2(s.nRows), Math.floor(4096 / BS)));
  b.line(`${name}_combine[(triton.cdiv(${s.nRows}, ${BM2}),)](${[...parts, ...launchArgs(s, outs, views)].join(", ")}, ${nSplit}, ${chunk}, BLOCK_M=${BM2}, BLOCK_N=${BS}, num_warps=4)`);
}
