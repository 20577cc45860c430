import { nextPow2 } from "./codegen.js";

/** One launch configuration of a convolution kernel. */
export interface ConvTiles {
  BM: number;
  BN: number;
  BK: number;
  warps: number;
  stages: number;
}

/**
 * How the tensor-core kernel walks its reduction. Each K step is one tap of the outer spatial
 * dimensions and a BLOCK_K slice of (tap along the last dimension, input channel), channels
 * fastest, each tap's channels padded to CP:
 * - wide (16 channels or more per group): CP is the channel count rounded up to BLOCK_K, so a step holds
 *   one tap and BLOCK_K consecutive channels; BLOCK_K is 16 or 32, whichever pads less (48
 *   channels: 3 steps of 16 rather than 2 of 32 with 16 zeros);
 * - narrow (fewer than 16): CP is the next power of two, so a step packs BLOCK_K / CP
 *   consecutive taps of the last dimension (3 channels: 8 taps of 4), split by a shift and a mask;
 *   BLOCK_K is 16 when the last dimension's taps fit in it.
 * `lastTaps` is the most taps a program walks along the last spatial dimension.
 */
export interface ConvReduction {
  BK: number;
  CP: number;
  narrow: boolean;
  /** narrow, every tap of every dimension packed into one run of K slots (`flatReduction`) */
  flat: boolean;
  /** CP > C_in/groups: the channel slots past the channels are masked */
  padded: boolean;
}

export function convReduction(cinG: number, lastTaps: number): ConvReduction {
  if (cinG >= 16) {
    const roundUp = (bk: number) => Math.ceil(cinG / bk) * bk;
    const BK = cinG >= 32 && roundUp(32) <= roundUp(16) ? 32 : 16;
    return { BK, CP: roundUp(BK), narrow: false, flat: false, padded: roundUp(BK) !== cinG };
  }
  const CP = nextPow2(cinG);
  return { BK: lastTaps * CP <= 16 ? 16 : 32, CP, narrow: true, flat: false, padded: CP !== cinG };
}

/**
 * A narrow reduction packed whole: K is (tap of every dimension, channel slot), CP slots a tap,
 * walked BLOCK_K slots a step, so taps of every dimension share a step, not only the last one's.
 * Taken where it cuts the slots the tensor cores multiply (zeros included) by a fifth or more:
 * KernelBench 59 (3 channels, a 3x3x1 kernel) packs its 9 taps into 3 steps of 16 instead of 9
 * steps holding one tap each. BLOCK_K is 32 unless 16 saves a fifth of the slots (fewer, deeper
 * steps: a 5x5 kernel's 100 slots are 4 steps of 32 rather than 7 of 16), or unless only 16
 * pays (54: 108 slots, 7 steps of 16 against 9 now; 4 of 32 would not cut enough). Null where
 * it does not pay or the reduction is wide (conv.ts asks for K-major convolutions, not transposed),
 * and where a row of the last dimension's taps already spans steps of 32 (50: 11 taps of 4 slots):
 * that loop reads each row as one contiguous run, which the packed loop breaks at every row's end.
 * Measured on the H200: 59 4.70 -> 2.55 ms and 54 1.94 -> 1.68 packed, but 50 1.13 -> 1.41.
 */
export function flatReduction(red: ConvReduction, kernel: number[], stepsNow: number): ConvReduction | null {
  if (!red.narrow || kernel[kernel.length - 1]! * red.CP > 32) return null;
  const kvol = kernel.reduce((a, b) => a * b, 1);
  const slots = (bk: number) => packedSteps(kvol, red.CP, bk) * bk;
  const order = slots(32) <= 1.25 * slots(16) ? [32, 16] : [16, 32];
  const BK = order.find((bk) => slots(bk) <= 0.8 * stepsNow * red.BK);
  return BK ? { ...red, BK, flat: true } : null;
}

/** The K steps of a packed reduction: kvol taps of CP slots, BK slots a step. */
export function packedSteps(kvol: number, CP: number, BK: number): number {
  return Math.ceil((kvol * CP) / BK);
}

/**
 * The configurations Triton's autotuner times on a GPU (keyed on the GEMM sizes M, COUT_G, K):
 * Hopper's usual tiles for TF32 and fp16 products, 128x128 with 8 warps, 128x64 and 64x128 with 4,
 * 3-4 stages, and 64x64 for grids too small to fill the multiprocessors. Columns are clipped to
 * the output channels of a group (at least 16); duplicates after clipping go. Each costs a
 * compilation and a timing per GEMM size, so the list stays short. Stages are kept within the main
 * loop's longest trip count `kSteps` plus two: on the H200 a 4-stage pipeline over a loop of one
 * K step (KernelBench 81, a transposed convolution with one tap per phase) never returned, while
 * 3 stages ran correctly; a deeper pipeline than the loop has nothing to overlap anyway.
 */
export function convConfigs(coutG: number, BK: number, kSteps: number): ConvTiles[] {
  const all: ConvTiles[] = [
    { BM: 128, BN: 128, BK, warps: 8, stages: 3 },
    { BM: 128, BN: 64, BK, warps: 4, stages: 4 },
    { BM: 64, BN: 128, BK, warps: 4, stages: 4 },
    { BM: 64, BN: 64, BK, warps: 4, stages: 3 },
  ];
  const BNmax = Math.max(16, Math.min(128, nextPow2(coutG)));
  const out: ConvTiles[] = [];
  for (const t of all) {
    const BN = Math.min(t.BN, BNmax);
    const c = { ...t, BN, warps: t.BM * BN >= 128 * 128 ? t.warps : 4, stages: Math.min(t.stages, kSteps + 2) };
    if (!out.some((o) => o.BM === c.BM && o.BN === c.BN && o.warps === c.warps && o.stages === c.stages)) out.push(c);
  }
  return out;
}

/**
 * The FMA path (depthwise) keeps its [rows, depth, channels] product within 8192 elements per
 * program so it stays in registers.
 */
export function fmaTiles(coutPerGroup: number, K: number): ConvTiles {
  const BN = Math.min(16, nextPow2(coutPerGroup));
  const BK = Math.min(16, nextPow2(K));
  const BM = Math.max(16, Math.min(256, 8192 / (BK * BN)));
  return { BM, BN, BK, warps: 4, stages: 2 };
}
