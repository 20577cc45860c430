import type { ConvReduction } from "./conv-tiles.js";

/**
 * The index lines of one K step of a convolution's main loop, shared by both operand layouts
 * (conv-gemm.ts, conv-gemm-kmajor.ts): which tap of the last dimension and which channels the step
 * covers; the layouts differ only in how the tiles are then loaded.
 */
export type TapOf = (d: number, jj: string) => string;
export type Offset = (d: number, j: string) => string;

/** The tap j{L} of the last dimension and its input offset off{L}, from its index jj{L} in the phase. */
export function tapLines(L: number, tapOf: TapOf, offset: Offset): string[] {
  return [`        j${L} = ${tapOf(L, `jj${L}`)}`, `        off${L} = ${offset(L, `j${L}`)}`];
}

/** A wide step: one tap of the last dimension, its rows' bounds and offsets, BLOCK_K channels (c_ok where padded). */
export function wideIndices(red: ConvReduction, L: number, tapOf: TapOf, offset: Offset): string[] {
  return [
    `        k_lin = kc * BLOCK_K`,
    `        jj${L} = k_lin // CP`,
    ...tapLines(L, tapOf, offset),
    `        row_ok = row_ok & (r${L} + off${L} >= 0) & (r${L} + off${L} < I${L})`,
    `        a_row = a_row + off${L} * sx_${L}`,
    `        offs_c = (k_lin - jj${L} * CP) + tl.arange(0, BLOCK_K)`,
    `        if WIDE:`,
    `            offs_c = offs_c.to(tl.int64)`,
    ...(red.padded ? [`        c_ok = offs_c < C_IN_G`] : []),
  ];
}

/** A narrow step's BLOCK_K slots: the tap index jj{L} and the channel ch of each. */
export function narrowSlots(L: number): string[] {
  return [
    `        offs_k = kc * BLOCK_K + tl.arange(0, BLOCK_K)`,
    `        jj${L} = offs_k // CP`,
    `        ch = offs_k % CP`,
    `        if WIDE:`,
    `            ch = ch.to(tl.int64)`,
  ];
}
