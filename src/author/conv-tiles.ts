import { nextPow2 } from "./codegen.js";

/**
 * Tile sizes of a convolution's implicit GEMM (rows: output pixels, columns: output channels of
 * one group, reduction: input channels of the group times kernel taps). Tensor-core tiles follow
 * what Hopper runs well for fp32/TF32 products: 128 rows, up to 128 channels, 32 deep, 3 stages,
 * 8 warps for the 128x128 tile. The FMA path (depthwise) keeps its [rows, depth, channels] product
 * within 8192 elements per program so it stays in registers.
 */
export interface ConvTiles {
  BM: number;
  BN: number;
  BK: number;
  warps: number;
  stages: number;
}

export function dotTiles(coutPerGroup: number, K: number): ConvTiles {
  const BN = Math.max(16, Math.min(128, nextPow2(coutPerGroup)));
  const BK = K <= 16 ? 16 : 32;
  const BM = 128;
  return { BM, BN, BK, warps: BM * BN >= 128 * 128 ? 8 : 4, stages: 3 };
}

export function fmaTiles(coutPerGroup: number, K: number): ConvTiles {
  const BN = Math.min(16, nextPow2(coutPerGroup));
  const BK = Math.min(16, nextPow2(K));
  const BM = Math.max(16, Math.min(256, 8192 / (BK * BN)));
  return { BM, BN, BK, warps: 4, stages: 2 };
}
