import type { ConvSpec } from "./conv-spec.js";
import type { ConvReduction } from "./conv-tiles.js";
import { flatSteps, kMajorOperands, kMajorStep } from "./conv-gemm-kmajor.js";
import { narrowSlots, tapLines, wideIndices, type Offset, type TapOf } from "./conv-steps.js";

/**
 * The tensor-core main loop of a convolution's implicit GEMM. One flat loop over K steps, each
 * one tap of the outer spatial dimensions (all but the last) and a BLOCK_K slice of (tap along the
 * last dimension, input channel), channels fastest (conv-tiles.ts, `convReduction`). Everything
 * that depends on the tap is scalar per step (divisions of the step number by constants, or by a
 * phase's tap counts), so a step's integer work on vectors is the BLOCK_M rows' input offsets and
 * padding mask for its tap (once per tap when the channels fit one step; a single loop keeps
 * Triton's software pipelining over the whole reduction),
 * and the tile itself is an outer sum: row offset + channel offset (the channel stride times
 * c0 + arange), row mask & channel mask. A narrow step (fewer channels than BLOCK_K) packs several
 * last-dimension taps, so only that dimension's bounds check is per element.
 *
 * MN-major operands (convOperands "mn-major"): the weight comes re-laid as [groups, taps...,
 * C_in/groups, C_out/groups] (the wrapper's copy), so
 * a B tile row is BLOCK_N contiguous output channels. The input stays in the caller's layout
 * (NCHW): A is gathered as [BLOCK_M, BLOCK_K], pixels first. Triton's coalescing takes a load's
 * fastest axis by provable contiguity and, on a tie (computed pixel offsets prove none), the
 * first axis, so pixels go across threads and the loads coalesce.
 *
 * Per spatial dimension d, a row's input coordinate is r_d plus the tap's offset:
 * - convolution: r_d = o_d * stride - padding, offset = tap * dilation;
 * - transposed, stride 1: r_d = o_d + padding, offset = -tap * dilation;
 * - transposed with a stride (phase ph_d = o_d mod stride): r_d = o_d // stride, and the phase's
 *   taps t0_d + jj * STEP_d make (ph_d + padding - tap * dilation) divisible by the stride, so the
 *   offset is that exact quotient.
 *
 * `kMajor` (the default): both operands contiguous along the reduction instead
 * (conv-gemm-kmajor.ts), the same steps in the same order.
 */
/**
 * `round`: the helper that rounds an fp32 tile to TF32 the way the reference's algorithm does, or
 * null where the operands come rounded (the K-major loop's copies round them).
 */
export function gemmLoop(s: ConvSpec, red: ConvReduction, phased: number[], lowp: boolean, round: string | null, kMajor: boolean): string[] {
  const S = s.S;
  const L = S - 1;
  const outer = Array.from({ length: L }, (_, d) => d);
  const isPhased = (d: number) => phased.includes(d);
  const count = (d: number) => (isPhased(d) ? `n${d}` : `KS${d}`);
  const tapOf = (d: number, jj: string) => (isPhased(d) ? `(t0_${d} + ${jj} * STEP${d})` : jj);
  const offset = (d: number, j: string) =>
    !s.transposed ? `${j} * DL${d}` : isPhased(d) ? `(ph${d} + PD${d} - ${j} * DL${d}) // ST${d}` : `-(${j} * DL${d})`;
  const k: string[] = [];
  k.push(`    # each row's input coordinate before the tap's offset, and its input offset`);
  for (let d = 0; d < S; d++) {
    k.push(`    r${d} = ${!s.transposed ? `o${d} * ST${d} - PD${d}` : isPhased(d) ? `q${d}` : `o${d} + PD${d}`}`);
  }
  k.push(`    x_row = nb * sx_n + g * C_IN_G * sx_c + ${Array.from({ length: S }, (_, d) => `r${d} * sx_${d}`).join(" + ")}`);
  if (kMajor) {
    k.push(`    # the group's block of the re-laid weight [groups, taps, COUT_G, CP]`);
    k.push(`    w_grp = g * (KVOL * COUT_G * CP)`);
  } else {
    k.push(`    # the group's block of the re-laid weight [groups, taps, C_IN_G, COUT_G]`);
    k.push(`    w_grp = g * (KVOL * C_IN_G * COUT_G)`);
  }
  k.push(`    acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.float32)`);
  if (red.flat) return [...k, ...flatSteps(s, red), ...kMajorOperands(lowp), ...dotLines(lowp, round)];
  k.push(`    # K steps per outer tap: the last dimension's taps times CP channel slots, BLOCK_K at a time`);
  k.push(`    NC = (${count(L)} * CP + BLOCK_K - 1) // BLOCK_K`);
  if (L === 0) {
    k.push(`    for kc in range(0, NC):`);
  } else {
    k.push(`    for s in range(0, ${outer.map(count).join(" * ")} * NC):`);
    k.push(`        tt = s // NC`);
    k.push(`        kc = s - tt * NC`);
    for (let d = L - 1; d >= 1; d--) {
      k.push(`        jj${d} = tt % ${count(d)}`);
      k.push(`        tt = tt // ${count(d)}`);
    }
    k.push(`        jj0 = tt`);
  }
  k.push(`        # this step's outer taps: scalars; the rows' bounds and offsets for them: BLOCK_M vectors`);
  k.push(`        row_ok = m_ok`);
  k.push(`        a_row = x_row`);
  for (const d of outer) {
    k.push(`        j${d} = ${tapOf(d, `jj${d}`)}`);
    k.push(`        off${d} = ${offset(d, `j${d}`)}`);
    k.push(`        row_ok = row_ok & (r${d} + off${d} >= 0) & (r${d} + off${d} < I${d})`);
    k.push(`        a_row = a_row + off${d} * sx_${d}`);
  }
  let tap = "0";
  for (const d of outer) tap = d === 0 ? `j0` : `(${tap}) * KS${d} + j${d}`;
  k.push(`        tap = ${L === 0 ? "0" : `(${tap}) * KS${L}`}`);
  if (kMajor) {
    k.push(...kMajorStep(red, L, tapOf, offset, count), ...kMajorOperands(lowp));
  } else {
    k.push(...(red.narrow ? narrowStep(red, L, tapOf, offset, count) : wideStep(red, L, tapOf, offset)));
    const cast = lowp ? "" : ".to(tl.float32)";
    k.push(`        a = a${cast}`);
    k.push(`        b = b${cast}`);
  }
  return [...k, ...dotLines(lowp, round)];
}

/** A step's product: fp16/bf16 as they are; fp32 in TF32 (operands rounded) or with three TF32 products. */
function dotLines(lowp: boolean, round: string | null): string[] {
  if (lowp) return [`        acc = tl.dot(a, b, acc)`];
  return [
    `        if TF32:`,
    ...(round
      ? [`            acc = tl.dot(${round}(a), ${round}(b), acc, input_precision="tf32")`]
      : [`            # a and b hold TF32 values already (rounded in their copies)`, `            acc = tl.dot(a, b, acc, input_precision="tf32")`]),
    `        else:`,
    `            acc = tl.dot(a, b, acc, input_precision="tf32x3")`,
  ];
}

/** One tap of the last dimension and BLOCK_K consecutive channels (CP is a multiple of BLOCK_K). */
function wideStep(red: ConvReduction, L: number, tapOf: TapOf, offset: Offset): string[] {
  const cm = red.padded ? ` & c_ok[None, :]` : "";
  const bm = red.padded ? `c_ok[:, None] & ` : "";
  return [
    `        # one tap of the last dimension, BLOCK_K of its channels`,
    ...wideIndices(red, L, tapOf, offset),
    `        a = tl.load(x_ptr + a_row[:, None] + (offs_c * sx_c)[None, :], mask=row_ok[:, None]${cm}, other=0.0)`,
    `        w_tap = w_grp + (tap + j${L}) * (C_IN_G * COUT_G)`,
    `        b = tl.load(w_ptr + w_tap + offs_c[:, None] * COUT_G + offs_n[None, :], mask=${bm}n_ok[None, :], other=0.0)`,
  ];
}

/** BLOCK_K / CP consecutive taps of the last dimension, CP channel slots each (CP a power of two). */
function narrowStep(red: ConvReduction, L: number, tapOf: TapOf, offset: Offset, count: (d: number) => string): string[] {
  const chOk = red.padded ? `(ch < C_IN_G) & ` : "";
  return [
    `        # BLOCK_K // CP taps of the last dimension, CP channel slots each (CP a power of two: a shift and a mask)`,
    ...narrowSlots(L),
    `        k_ok = ${chOk}(jj${L} < ${count(L)})`,
    ...tapLines(L, tapOf, offset),
    `        i${L} = r${L}[:, None] + off${L}[None, :]`,
    `        mask = row_ok[:, None] & k_ok[None, :] & (i${L} >= 0) & (i${L} < I${L})`,
    `        a = tl.load(x_ptr + a_row[:, None] + (ch * sx_c + off${L} * sx_${L})[None, :], mask=mask, other=0.0)`,
    `        w_tap = w_grp + (tap + j${L}) * (C_IN_G * COUT_G) + ch * COUT_G`,
    `        b = tl.load(w_ptr + w_tap[:, None] + offs_n[None, :], mask=k_ok[:, None] & n_ok[None, :], other=0.0)`,
  ];
}
