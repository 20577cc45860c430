import type { ModuleBuilder } from "./builder.js";
import type { Tf32Rounding } from "./conv-precision.js";

/**
 * Python and Triton code rounding fp32 values to TF32 the way cuDNN's TF32 algorithms do
 * (conv-precision.ts says which rounding a convolution gets). The MN-major main loop rounds each
 * tile before its product; the K-major one gets operands rounded once beforehand, by the input's
 * channels-last copy and by `_tf32_rounded` on the re-laid weight, so its loads stay on Triton's
 * pipelined path (an inline-asm conversion between a load and the product takes them off it:
 * measured on the H200, TF32 convolutions ran 10-60% longer with the rounding in the loop).
 */

/** The rounding's code: ROUND in the kernels below (0: none). */
export const ROUND_CODE: Record<Tf32Rounding, number> = { away: 1, even: 2 };

/** The helper that rounds a tile, by rounding. */
const ROUND_HELPER_NAME: Record<Tf32Rounding, string> = { away: "_round_tf32", even: "_round_tf32_even" };

const ROUND_HELPERS: Record<Tf32Rounding, string> = {
  away: `@triton.jit
def _round_tf32(x):
    # fp32 -> TF32 (10-bit mantissa), round to nearest with ties away from zero, as cuDNN does here
    return tl.inline_asm_elementwise("cvt.rna.tf32.f32 $0, $1;", "=r,r", [x], dtype=tl.float32, is_pure=True, pack=1)`,
  even: `@triton.jit
def _round_tf32_even(x):
    # fp32 -> TF32 (10-bit mantissa), round to nearest with ties to even, as cuDNN's 1x1 convolutions
    # do: add just under half of the 13 dropped bits, plus the kept last bit, then drop them
    bits = x.to(tl.int32, bitcast=True)
    bits = (bits + 0xFFF + ((bits >> 13) & 1)) & -8192
    return bits.to(tl.float32, bitcast=True)`,
};

const ROUND_BY_CODE = `@triton.jit
def _tf32(v, ROUND: tl.constexpr):
    # ROUND 0: v as it is; 1: TF32 with ties away from zero; 2: TF32 with ties to even
    if ROUND == 1:
        v = _round_tf32(v)
    elif ROUND == 2:
        v = _round_tf32_even(v)
    return v`;

const ROUNDED_COPY = `def _tf32_rounded(t, rnd):
    # a copy of t (contiguous) with every element rounded to TF32 by rounding code rnd (see _tf32)
    y = torch.empty_like(t)
    n = t.numel()
    _tf32_round_kernel[(triton.cdiv(n, 1024),)](t, y, n, ROUND=rnd, BLOCK=1024, num_warps=4)
    return y


@triton.jit
def _tf32_round_kernel(x_ptr, y_ptr, n, ROUND: tl.constexpr, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    tl.store(y_ptr + offs, _tf32(tl.load(x_ptr + offs, mask=offs < n), ROUND), mask=offs < n)`;

/** Adds the helper rounding a tile (the MN-major loop calls it on each operand tile). */
export function addTileRounding(b: ModuleBuilder, r: Tf32Rounding): string {
  b.helpers.add(ROUND_HELPERS[r]);
  return ROUND_HELPER_NAME[r];
}

/** Adds `_tf32(v, ROUND)` and the helpers it calls, for kernels that round by a constexpr code. */
export function addRoundingByCode(b: ModuleBuilder): void {
  b.helpers.add(ROUND_HELPERS.away);
  b.helpers.add(ROUND_HELPERS.even);
  b.helpers.add(ROUND_BY_CODE);
}

/** Adds `_tf32_rounded(t, rnd)`: a rounded copy of a contiguous tensor. */
export function addRoundedCopy(b: ModuleBuilder): void {
  addRoundingByCode(b);
  b.helpers.add(ROUNDED_COPY);
}
