import { nextPow2 } from "./codegen.js";

/** One launch configuration of a product kernel. */
export interface Tile {
  BM: number;
  BN: number;
  BK: number;
  warps: number;
  stages: number;
}

const SMS = 132;
const cap = (x: number, hi: number) => Math.max(16, Math.min(hi, nextPow2(x)));

/**
 * The one configuration used where nothing is timed (Triton's interpreter, the split-K kernel):
 * tiles from the shape, measured on the H200 with K-major operands (4096^3 fp32, 8192^3 fp16): fp32
 * (tf32x3) is fastest at 128x128x64 with 8 warps (92 TFLOP/s); fp16/bf16 at 128x256x64 with 8 warps
 * and 3 stages (670 TFLOP/s). Smaller matrices get tiles no wider than needed, and tiles shrink until
 * the grid (batch included) has at least one program per multiprocessor.
 */
export function tiles(M: number, N: number, K: number, lowp: boolean, batch = 1): Tile {
  let BM = cap(M, 128);
  let BN = cap(N, lowp ? 256 : 128);
  const BK = cap(K, 64);
  const programs = () => Math.ceil(M / BM) * Math.ceil(N / BN) * batch;
  while (BN > 64 && programs() < SMS) BN /= 2;
  while (BM > 64 && programs() < SMS) BM /= 2;
  return { BM, BN, BK, warps: BM * BN >= 128 * 128 ? 8 : 4, stages: 3 };
}

/** The fp32 FMA path's tiles (64x64x32, 4 warps): larger ones only add register pressure there. */
export function ieeeTiles(M: number, N: number, K: number): Tile {
  return { BM: cap(M, 64), BN: cap(N, 64), BK: cap(K, 32), warps: 4, stages: 3 };
}

/**
 * The configurations Triton's autotuner times on a GPU (keyed on M, N, K): Hopper's usual choices
 * for each operand type, 128x128 and 128x256 tiles with 3-4 stages, a 64-row tile for grids that
 * would not fill the multiprocessors, and shallow stages when K is one or two blocks deep (the
 * stores of the output then dominate, and smaller buffers leave room for a second program per SM).
 * Each is clipped to the shape; the shape's own tile (`tiles`) is always among them, first. Products
 * under 2^33 flops (8.6 GFLOP) are not tuned: they keep the shape's tile.
 */
export function gpuConfigs(M: number, N: number, K: number, lowp: boolean, batch: number): Tile[] {
  const fp32: Tile[] = [
    { BM: 128, BN: 128, BK: 64, warps: 8, stages: 3 },
    { BM: 128, BN: 128, BK: 32, warps: 8, stages: 4 },
    { BM: 128, BN: 256, BK: 32, warps: 8, stages: 3 },
    { BM: 64, BN: 128, BK: 64, warps: 4, stages: 4 },
  ];
  const half: Tile[] = [
    { BM: 128, BN: 256, BK: 64, warps: 8, stages: 3 },
    { BM: 128, BN: 128, BK: 64, warps: 4, stages: 4 },
    { BM: 128, BN: 128, BK: 32, warps: 8, stages: 4 },
    { BM: 64, BN: 256, BK: 32, warps: 4, stages: 4 },
  ];
  const shallow = K <= 64;
  const clip = (t: Tile): Tile => {
    const BM = Math.min(t.BM, cap(M, 256));
    const BN = Math.min(t.BN, cap(N, 256));
    const BK = Math.min(t.BK, cap(K, 64));
    return { BM, BN, BK, warps: BM * BN >= 128 * 128 ? t.warps : 4, stages: shallow ? 2 : t.stages };
  };
  const out: Tile[] = [];
  for (const t of [tiles(M, N, K, lowp, batch), ...(lowp ? half : fp32)].map(clip)) {
    if (!out.some((o) => o.BM === t.BM && o.BN === t.BN && o.BK === t.BK && o.warps === t.warps && o.stages === t.stages)) out.push(t);
  }
  return out;
}

/**
 * Split-K for deep products: one sequential fp32 chain over all of K rounds worse than cuBLAS as K
 * grows (K=131072 missed the tolerance by 25x on the H200), and a deep product with a small output
 * leaves most multiprocessors idle. Split when K is deep for its output (K >= 8192 and fewer than two
 * tiles per SM) or deep outright (K >= 16384), into chunks of about 4096 (at most 64 of them; a
 * multiple of BLOCK_K so only the last chunk ends inside a block). Batched products are not split.
 */
export function splitK(M: number, N: number, K: number, BM: number, BN: number, BK: number): { split: number; chunk: number } | null {
  const outTiles = Math.ceil(M / BM) * Math.ceil(N / BN);
  if (!(K >= 16384 || (K >= 8192 && outTiles < 2 * SMS))) return null;
  const want = Math.min(64, Math.ceil(K / 4096));
  const chunk = Math.ceil(Math.ceil(K / want) / BK) * BK;
  const split = Math.ceil(K / chunk);
  return split >= 2 ? { split, chunk } : null;
}

/** K-chunk multiple for the matrix-vector kernel: both of its tile shapes divide it. */
export const MATVEC_K_STEP = 256;

/**
 * How a matrix-vector product is cut along K: chunks of at most 8192 (each a lane-wise fp32 sum of
 * at most 32 products, then a tree), and enough of them for about four programs per SM when the
 * rows alone (16 per program) would leave the GPU idle, but no chunk below 1024.
 */
export function matvecSplit(rows: number, K: number): { split: number; chunk: number } {
  const want = Math.ceil((4 * SMS) / Math.ceil(rows / 16));
  const split = Math.max(1, Math.min(Math.max(Math.ceil(K / 8192), want), Math.ceil(K / 1024)));
  const chunk = Math.ceil(Math.ceil(K / split) / MATVEC_K_STEP) * MATVEC_K_STEP;
  return { split: Math.ceil(K / chunk), chunk };
}
