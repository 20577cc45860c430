import type { ModuleBuilder } from "./builder.js";
import { addRoundedCopy, addRoundingByCode } from "./conv-rounding.js";
import type { ConvSpec } from "./conv-spec.js";
import type { ConvReduction } from "./conv-tiles.js";
import { narrowSlots, tapLines, wideIndices, type Offset, type TapOf } from "./conv-steps.js";

/**
 * The K-major variant of the convolution's main loop (AuthorOptions.convOperands "k-major"): both
 * operands contiguous along the reduction, the layout Hopper's tensor cores read TF32 operands from
 * shared memory in (otherwise Triton transposes each tile off the pipelined path). The input is
 * copied once per call into channels-last memory (each pixel's channels contiguous, so a group's
 * channels are one run), and a step's A tile is [BLOCK_M pixels, BLOCK_K channels], loads
 * vectorised along the channels; the weight is re-laid as [groups, taps, C_out/groups, CP] (input
 * channels contiguous, zero past C_in/groups), loaded [BLOCK_N, BLOCK_K] and transposed for the
 * product. The K order (taps outer, channels inner) is the same as the MN-major loop's.
 */

/**
 * Python helper and Triton kernel copying an input [N, C, spatial...] (any strides, 1 to 3 spatial
 * dimensions) to channels-last memory, rounding it to TF32 on the way when asked (rounding code
 * rnd, conv-rounding.ts); returned as a view of the same shape, channel stride 1.
 */
export const CHANNELS_LAST_HELPER = `def _channels_last(x, rnd):
    # x [N, C, spatial...] copied once so each pixel's channels are contiguous ([N, spatial..., C] in
    # memory), rounded to TF32 by rounding code rnd (0: not), returned as a view in x's own dimension order
    y = torch.empty((x.shape[0], *x.shape[2:], x.shape[1]), device=x.device, dtype=x.dtype)
    y = y.permute(0, x.dim() - 1, *range(1, x.dim() - 1))
    x5 = x
    while x5.dim() < 5:
        x5 = x5.unsqueeze(2)
    n, c, d, h, w = x5.shape
    p = n * d * h * w
    bc = min(64, triton.next_power_of_2(c))
    bp = max(16, 4096 // bc)
    grid = (triton.cdiv(p, bp), triton.cdiv(c, bc))
    _channels_last_copy[grid](x5, y, p, c, d, h, w, *x5.stride(), ROUND=rnd, WIDE=x.numel() >= 2**31 - 1, BLOCK_P=bp, BLOCK_C=bc, num_warps=4)
    return y


@triton.jit
def _channels_last_copy(x_ptr, y_ptr, P, C, D, H, W, sx_n, sx_c, sx_d, sx_h, sx_w, ROUND: tl.constexpr, WIDE: tl.constexpr, BLOCK_P: tl.constexpr, BLOCK_C: tl.constexpr):
    # one [BLOCK_P pixels, BLOCK_C channels] tile, read through x's strides, written channels fastest
    offs_p = tl.program_id(0) * BLOCK_P + tl.arange(0, BLOCK_P)
    offs_c = tl.program_id(1) * BLOCK_C + tl.arange(0, BLOCK_C)
    if WIDE:
        offs_p = offs_p.to(tl.int64)
        offs_c = offs_c.to(tl.int64)
    w = offs_p % W
    r = offs_p // W
    h = r % H
    r = r // H
    d = r % D
    n = r // D
    src = n * sx_n + d * sx_d + h * sx_h + w * sx_w
    mask = (offs_p < P)[:, None] & (offs_c < C)[None, :]
    v = tl.load(x_ptr + src[:, None] + (offs_c * sx_c)[None, :], mask=mask)
    tl.store(y_ptr + offs_p[:, None] * C + offs_c[None, :], _tf32(v, ROUND), mask=mask)`;

/**
 * Wrapper line: the input's channels-last copy, rounded by the rounding code in `rnd` (a Python
 * expression); returns the variable the kernel reads as its input.
 */
export function channelsLastInput(b: ModuleBuilder, xv: string, rnd: string): string {
  addRoundingByCode(b);
  b.helpers.add(CHANNELS_LAST_HELPER);
  const v = `${xv}_cl`;
  b.line(`# the input in channels-last memory${rnd === "0" ? "" : " (rounded to TF32 when rnd says so)"}: one copy of it per call, A tile rows contiguous along K`);
  b.line(`${v} = _channels_last(${xv}, ${rnd})`);
  return v;
}

/** Wrapper lines rounding the re-laid weight `wr` to TF32 when the rounding code in `rnd` says so. */
export function roundedWeight(b: ModuleBuilder, wr: string, rnd: string): void {
  if (rnd === "0") return;
  addRoundedCopy(b);
  b.line(`if ${rnd}:`);
  b.line(`    ${wr} = _tf32_rounded(${wr}, ${rnd})`);
}

/**
 * Wrapper lines re-laying the weight as [groups, taps..., C_out/groups, CP], contiguous, the input
 * channels padded with zeros to CP, so a B tile row is contiguous input channels and every row
 * starts at a multiple of CP.
 */
export function relaidWeightKMajor(b: ModuleBuilder, s: ConvSpec, wv: string, cinG: number, coutG: number, CP: number): string {
  const taps = s.kernel.map((_, d) => d + 3);
  // weight: (C_out, C_in/groups, k...); transposed: (C_in, C_out/groups, k...)
  const [rows, cols] = s.transposed ? [cinG, coutG] : [coutG, cinG];
  const order = s.transposed ? [0, ...taps, 2, 1] : [0, ...taps, 1, 2];
  const v = `${wv}_r`;
  const view = `${wv}.reshape(${[s.groups, rows, cols, ...s.kernel].join(", ")}).permute(${order.join(", ")})`;
  b.line(`# the weight as [groups, taps, C_out/groups, ${CP === cinG ? "C_in/groups" : `C_in/groups padded to ${CP}`}]: one copy of it per call, B tile rows contiguous along K`);
  if (CP === cinG) {
    b.line(`${v} = ${view}.contiguous()`);
  } else {
    b.line(`${v} = ${wv}.new_zeros((${[s.groups, ...s.kernel, coutG, CP].join(", ")}))`);
    b.line(`${v}[..., :${cinG}] = ${view}`);
  }
  return v;
}

/** A K step's A and B tiles, K-major: one tap's channel slice (wide) or packed last-dimension taps (narrow). */
export function kMajorStep(red: ConvReduction, L: number, tapOf: TapOf, offset: Offset, count: (d: number) => string): string[] {
  return red.narrow ? narrowStep(red, L, tapOf, offset, count) : wideStep(red, L, tapOf, offset);
}

/** The tiles as the product takes them: A as loaded, B transposed to [BLOCK_K, BLOCK_N]. */
export function kMajorOperands(lowp: boolean): string[] {
  return lowp ? [`        b = tl.trans(b)`] : [`        a = a.to(tl.float32)`, `        b = tl.trans(b.to(tl.float32))`];
}

/** One tap of the last dimension and BLOCK_K consecutive channels (CP is a multiple of BLOCK_K). */
function wideStep(red: ConvReduction, L: number, tapOf: TapOf, offset: Offset): string[] {
  const cm = red.padded ? ` & c_ok[None, :]` : "";
  return [
    `        # one tap of the last dimension, BLOCK_K of its channels (contiguous in the copy and the weight)`,
    ...wideIndices(red, L, tapOf, offset),
    `        a = tl.load(x_ptr + a_row[:, None] + offs_c[None, :], mask=row_ok[:, None]${cm}, other=0.0)`,
    ...(red.padded ? [`        # the weight's channels past C_IN_G are zeros: only the columns are masked`] : []),
    `        w_tap = w_grp + (tap + j${L}) * (COUT_G * CP)`,
    `        b = tl.load(w_ptr + w_tap + offs_n[:, None] * CP + offs_c[None, :], mask=n_ok[:, None], other=0.0)`,
  ];
}

/** BLOCK_K / CP consecutive taps of the last dimension, CP channel slots each (CP a power of two). */
function narrowStep(red: ConvReduction, L: number, tapOf: TapOf, offset: Offset, count: (d: number) => string): string[] {
  const chOk = red.padded ? `(ch < C_IN_G) & ` : "";
  return [
    `        # BLOCK_K // CP taps of the last dimension, CP channel slots each (CP a power of two: a shift and a mask)`,
    ...narrowSlots(L),
    `        t_ok = jj${L} < ${count(L)}`,
    ...tapLines(L, tapOf, offset),
    `        i${L} = r${L}[:, None] + off${L}[None, :]`,
    `        mask = row_ok[:, None] & (${chOk}t_ok)[None, :] & (i${L} >= 0) & (i${L} < I${L})`,
    `        a = tl.load(x_ptr + a_row[:, None] + (ch + off${L} * sx_${L})[None, :], mask=mask, other=0.0)`,
    ...(red.padded ? [`        # the weight's channel slots past C_IN_G are zeros: only the taps past the last and the columns are masked`] : []),
    `        w_k = (tap + j${L}) * (COUT_G * CP) + ch`,
    `        b = tl.load(w_ptr + w_grp + offs_n[:, None] * CP + w_k[None, :], mask=n_ok[:, None] & t_ok[None, :], other=0.0)`,
  ];
}

/**
 * The packed loop (ConvReduction.flat): a step is BLOCK_K slots of (tap, channel slot), each
 * slot's tap split into one index per dimension by the kernel sizes (constants, last fastest).
 * A bound is checked only where padding can reach past it: with no padding before a dimension no
 * input coordinate is negative, and with none after it none passes the end (the output size
 * leaves no room), so an unpadded layer's loads are masked by rows and slots alone.
 */
export function flatSteps(s: ConvSpec, red: ConvReduction): string[] {
  const dims = Array.from({ length: s.S }, (_, d) => d);
  const k = [
    `    # the whole reduction packed: BLOCK_K slots of (tap of every dimension, channel slot) a step`,
    `    for kc in range(0, (KVOL * CP + BLOCK_K - 1) // BLOCK_K):`,
    `        offs_k = kc * BLOCK_K + tl.arange(0, BLOCK_K)`,
    `        if WIDE:`,
    `            offs_k = offs_k.to(tl.int64)`,
    `        t = offs_k // CP`,
    `        ch = offs_k % CP`,
    `        t_ok = ${red.padded ? "(ch < C_IN_G) & " : ""}(t < KVOL)`,
    `        tt = t`,
  ];
  for (let d = s.S - 1; d >= 1; d--) k.push(`        j${d} = tt % KS${d}`, `        tt = tt // KS${d}`);
  k.push(`        j0 = tt`);
  const bounds: string[] = [];
  for (const d of dims) {
    const before = s.padLo[d]! > 0;
    const after = before || s.same;
    if (!before && !after) continue;
    k.push(`        i${d} = r${d}[:, None] + (j${d} * DL${d})[None, :]`);
    if (before) bounds.push(`(i${d} >= 0)`);
    if (after) bounds.push(`(i${d} < I${d})`);
  }
  k.push(
    `        mask = ${["m_ok[:, None] & t_ok[None, :]", ...bounds].join(" & ")}`,
    `        a = tl.load(x_ptr + x_row[:, None] + (ch + ${dims.map((d) => `j${d} * (DL${d} * sx_${d})`).join(" + ")})[None, :], mask=mask, other=0.0)`,
    `        b = tl.load(w_ptr + w_grp + offs_n[:, None] * CP + (t * (COUT_G * CP) + ch)[None, :], mask=n_ok[:, None] & t_ok[None, :], other=0.0)`,
  );
  return k;
}
