/**
 * Operands re-laid K-major for fp32 products. Hopper's tensor cores read TF32 operands from shared
 * memory only K-major (transposed layouts exist for 16-bit types alone), so Triton stages an operand
 * whose contiguous dimension is M or N through registers, element by element, and its loads no
 * longer pipeline: on the H200 the same 3xTF32 kernel ran at 0.7x eager fp32 with B laid out
 * [K, N] and at 1.9x with B laid out [N, K]. Loads also vectorise only along rows that start on
 * 16-element boundaries. An fp32 operand that is not K-major with aligned rows is therefore copied
 * once, at call time, into a K-major buffer whose rows are padded to 16 elements: one read and one
 * write of the operand, against the M/BLOCK_M (or N/BLOCK_N) reads the product makes of it.
 */

/** Module-level Python: the check, the buffer and the copy kernel. */
export const K_MAJOR_HELPER = `def _k_major(t, k_dim, reads):
    # t is [..., M, K] (k_dim=-1, an A operand) or [..., K, N] (k_dim=-2, a B operand), which the
    # product reads \`reads\` times over; returned as is when K is its contiguous dimension and every
    # other stride and its offset are multiples of 16 elements (or, rows unaligned, when it is read
    # too few times to repay a copy), else as a K-major copy with rows padded to 16 elements
    kd = t.dim() + k_dim
    aligned = t.storage_offset() % 16 == 0 and all(t.size(d) == 1 or t.stride(d) % 16 == 0 for d in range(t.dim()) if d != kd)
    if (t.size(kd) == 1 or t.stride(kd) == 1) and (aligned or reads < 4):
        return t
    k = t.size(kd)
    other = t.size(-2 if k_dim == -1 else -1)
    buf = torch.empty((*t.shape[:-2], other, (k + 15) // 16 * 16), device=t.device, dtype=t.dtype)[..., :k]
    out = buf if k_dim == -1 else buf.transpose(-1, -2)
    _k_major_fill(t, out)
    return out


def _k_major_fill(src, dst):
    # one launch per [rows, cols] matrix of a batch of any rank (leading dimensions one at a time)
    if src.dim() > 3:
        for i in range(src.size(0)):
            _k_major_fill(src[i], dst[i])
        return
    if src.dim() == 2:
        src, dst = src.unsqueeze(0), dst.unsqueeze(0)
    nb, rows, cols = src.shape
    grid = (triton.cdiv(rows, 64), triton.cdiv(cols, 64), nb)
    _k_major_copy[grid](src, dst, rows, cols, *src.stride(), *dst.stride(), BLOCK_R=64, BLOCK_C=64, num_warps=4)


@triton.jit
def _k_major_copy(src, dst, R, C, s_b, s_r, s_c, d_b, d_r, d_c, BLOCK_R: tl.constexpr, BLOCK_C: tl.constexpr):
    # dst[b] = src[b], one 64x64 tile per program: the load runs along the source's contiguous
    # dimension and the store along the destination's (Triton transposes the tile on chip); 64-bit
    # offsets, since the copy is bound by memory, not by index arithmetic
    b = tl.program_id(2).to(tl.int64)
    r = (tl.program_id(0) * BLOCK_R + tl.arange(0, BLOCK_R)).to(tl.int64)
    c = (tl.program_id(1) * BLOCK_C + tl.arange(0, BLOCK_C)).to(tl.int64)
    mask = (r < R)[:, None] & (c < C)[None, :]
    x = tl.load(src + b * s_b + r[:, None] * s_r + c[None, :] * s_c, mask=mask)
    tl.store(dst + b * d_b + r[:, None] * d_r + c[None, :] * d_c, x, mask=mask)`;
