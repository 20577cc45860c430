import type { ModuleBuilder } from "./builder.js";
import { isRef, refId, type GraphNode } from "./graph.js";
import type { PwGroup } from "./plan.js";
import { PROD_COMBINE, reductionSpec, refOf, type ReductionSpec } from "./reduction.js";
import { colBlock, fullView, kernelParams, launchArgs, rowPrologue, rowSpace, tileFor, type RowOperand } from "./rowspace.js";
import { inputLines, mainStrides, tileLoads } from "./rowload.js";
import { ACC_INIT, accOf, accStep, allocOutputs, outOperands, resultLines, type Acc } from "./multi-reduction.js";
import { bindViews, warpsFor } from "./softmax.js";

/**
 * Reductions of different inputs over the same rows that read a common value, e.g. the triplet
 * loss's ||a - p|| and ||a - n||, or sum(a * w) beside max(a - 2p): one kernel loads each tile of
 * every value once, computes each member's input (its prologue, if any) in registers, and feeds
 * that input's accumulators. Order-free reductions only (sum, mean, norms, max, min, product):
 * planMultiReductions groups nothing else this way.
 */
export function emitSharedInputReduction(b: ModuleBuilder, nodes: GraphNode[], prologues: (PwGroup | null)[]): void {
  const first = nodes[0]!;
  const specs = nodes.map(reductionSpec);
  const base = prologues[0] ? prologues[0].root.shape! : b.meta(refOf(first.args[0])).shape;
  const rank = base.length;
  const dims = specs[0]!.dims ?? Array.from({ length: rank }, (_, i) => i);
  const s = rowSpace(base, rank === 0 ? [] : dims, mainStrides(b, first, prologues[0] ?? null, base));

  // every value read from memory, once: the members' own inputs, or their prologues' externals
  const chains = inputChains(nodes, prologues);
  const values = [...new Set(chains.flatMap((c) => c.reads))];
  const loads: RowOperand[] = values.map((_, j) => ({ name: `x${j}`, space: "full" }));
  const views = new Map<string, string>(values.map((id, j) => [`x${j}`, fullView(s, b.val(id))]));
  const ops = [...loads, ...outOperands(specs)];
  const accsOf = chains.map((c) => [...new Set(c.members.map((j) => accOf(specs[j]!)))]);
  const nAcc = accsOf.reduce((a, x) => a + x.length, 0);
  const tile = tileFor(s, s.unitKept, false);
  const BN = nAcc > 2 && tile.BN >= 64 ? tile.BN / 2 : tile.BN;
  const single = s.nCols <= BN;
  const name = b.kernelName("shared_reduce");

  const k: string[] = [`@triton.jit`, `def ${name}(${[...kernelParams(s, ops), "BLOCK_M: tl.constexpr", "BLOCK_N: tl.constexpr"].join(", ")}):`];
  k.push(`    # ${specs.map((sp) => sp.kind).join(", ")} over dims ${JSON.stringify(s.red)} of ${JSON.stringify(base)}, in one pass: each tile of`);
  k.push(`    # ${values.join(", ")} is loaded once; every member's input is computed from it in registers.`);
  k.push(...rowPrologue(s, ops));
  chains.forEach((_, i) => accsOf[i]!.forEach((a) => k.push(`    acc_${a}_${i} = tl.full([BLOCK_M, BLOCK_N], ${ACC_INIT[a]}, tl.float32)`)));
  const ind = single ? "    " : "        ";
  k.push(single ? `    # the row is one block: no loop` : `    for start in range(0, n_cols, BLOCK_N):`);
  k.push(...colBlock(s, ops, single ? "0" : "start", ind));
  k.push(...tileLines(b, values, chains, ind));
  chains.forEach((_, i) => accsOf[i]!.forEach((a) => k.push(...accStep(a, ind, `xv_${i}`, `acc_${a}_${i}`))));
  if (accsOf.flat().includes("prod")) b.helpers.add(PROD_COMBINE);
  const chainOf = new Map(chains.flatMap((c, i) => c.members.map((j) => [j, i] as const)));
  k.push(...resultLines(nodes, specs, (j, a) => `acc_${a}_${chainOf.get(j)!}`));
  b.kernels.push(k.join("\n"));

  b.line(`# ${specs.map((sp) => sp.kind).join(", ")} over dims ${JSON.stringify(s.red)}: one kernel reads ${values.join(", ")} once for all of them`);
  allocOutputs(b, s, nodes, specs, views);
  bindViews(b, ops, views);
  b.line(`grid = (triton.cdiv(${s.nRows}, ${tile.BM}),)`);
  b.line(`${name}[grid](${launchArgs(s, ops, views).join(", ")}, BLOCK_M=${tile.BM}, BLOCK_N=${BN}, num_warps=${warpsFor(tile.BM * BN * Math.min(nAcc, 2))})`);
}

/** One distinct member input: a value read as is, or a prologue over values; which members reduce it. */
interface Chain {
  prologue: PwGroup | null;
  reads: string[];
  members: number[];
}

function inputChains(nodes: GraphNode[], prologues: (PwGroup | null)[]): Chain[] {
  const chains: Chain[] = [];
  nodes.forEach((n, j) => {
    const p = prologues[j] ?? null;
    const same = chains.find((c) => (p ? c.prologue === p : !c.prologue && c.reads[0] === refOf(n.args[0])));
    if (same) same.members.push(j);
    else chains.push({ prologue: p, reads: p ? p.externals : [refOf(n.args[0])], members: [j] });
  });
  return chains;
}

/** Kernel lines: every value's tile loaded once (padding lanes 0), then each chain's input as `xv_i`. */
function tileLines(b: ModuleBuilder, values: string[], chains: Chain[], ind: string): string[] {
  const tiles = tileLoads(b, values, ind, "0.0");
  return [...tiles.lines, ...chains.flatMap((c, i) => inputLines(c.prologue, c.reads[0]!, tiles.loaded, ind, `xv_${i}`, `input ${i}`))];
}

/** Whether a reduction may join a shared-input group: order-free, no indices, no two-pass statistics. */
export function sharesRows(n: GraphNode): boolean {
  let sp: ReductionSpec;
  try {
    sp = reductionSpec(n);
  } catch {
    return false;
  }
  const a: Acc = accOf(sp);
  return !sp.tuple && a !== "argmax" && a !== "argmin" && sp.kind !== "var" && sp.kind !== "std";
}

/** The values a reduction's input is computed from: its prologue's externals, or the input itself. */
export function chainReads(n: GraphNode, prologue: PwGroup | null): string[] {
  const first = n.args[0];
  if (prologue) return prologue.externals;
  return first !== undefined && isRef(first) ? [refId(first)] : [];
}
