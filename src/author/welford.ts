/**
 * One-pass mean and variance for the row kernels: each lane of a [BLOCK_M, BLOCK_N] tile runs
 * Welford's update over the columns it visits (stable, unlike E[x^2] - E[x]^2), then the lanes are
 * merged with the exact pairwise formula (Chan et al.):
 *   n = sum n_l,  mean = sum n_l * mean_l / n,  M2 = sum (M2_l + n_l * (mean_l - mean)^2).
 * A lane valid in a block was valid in every block before it (the columns of a loop over
 * [lo, hi) only end early in the last block), so its count is the block number and the update's
 * 1/count is one scalar per block.
 */

/** Kernel lines before the column loop. */
export function welfordInit(indent: string): string[] {
  return [`${indent}mean_l = tl.zeros([BLOCK_M, BLOCK_N], tl.float32)`, `${indent}m2_l = tl.zeros([BLOCK_M, BLOCK_N], tl.float32)`];
}

/** Kernel lines inside the loop `for start in range(lo, hi, BLOCK_N)`, once `xv` and `mask` are set. */
export function welfordStep(indent: string, lo: string): string[] {
  return [
    `${indent}inv = 1.0 / ((start - ${lo}) // BLOCK_N + 1)`,
    `${indent}wd = tl.where(mask, xv - mean_l, 0.0)`,
    `${indent}mean_l = mean_l + wd * inv`,
    `${indent}m2_l = m2_l + wd * tl.where(mask, xv - mean_l, 0.0)`,
  ];
}

/**
 * Kernel lines after the loop over `span` columns: `w_sum` (the row's sum over them) and `w_m2`
 * (its sum of squared deviations from their mean), one per row.
 */
export function welfordMerge(indent: string, span: string): string[] {
  return [
    `${indent}lane_n = ((${span} - cols0 + BLOCK_N - 1) // BLOCK_N).to(tl.float32)`,
    `${indent}w_sum = tl.sum(mean_l * lane_n[None, :], axis=1)`,
    `${indent}w_dm = tl.where(lane_n[None, :] > 0, mean_l - (w_sum / (${span}))[:, None], 0.0)`,
    `${indent}w_m2 = tl.sum(m2_l + lane_n[None, :] * w_dm * w_dm, axis=1)`,
  ];
}

/**
 * Kernel lines merging a row's chunks (split rows): chunk c (index `idx`, valid under `mask`) holds
 * min(CHUNK, n_cols - c * CHUNK) columns, their sum (`sums`, a [BLOCK_M, S] load) and their squared
 * deviations from the chunk's mean (`m2s`). Leaves `mean` and `m2` (over the whole row) per row.
 */
export function chunkMerge(indent: string, idx: string, mask: string, sums: string, m2s: string): string[] {
  return [
    `${indent}chunk_n = tl.minimum(n_cols - ${idx} * CHUNK, CHUNK).to(tl.float32)`,
    `${indent}chunk_sum = ${sums}`,
    `${indent}mean = tl.sum(chunk_sum, axis=1) / n_cols`,
    `${indent}dm = tl.where(${mask}, chunk_sum / tl.maximum(chunk_n, 1.0)[None, :] - mean[:, None], 0.0)`,
    `${indent}m2 = tl.sum(${m2s} + chunk_n[None, :] * dm * dm, axis=1)`,
  ];
}
