import { argNames, dotStrides, nextPow2, numel, pyList, unravel } from "./codegen.js";

/**
 * The iteration space of the row kernels (reductions, softmax, norms): the input viewed with the
 * kept dimensions first ("rows") and the reduced dimensions last ("columns"). Every operand is
 * passed as a view on that space, so its strides say where each (row, column) lives: permuted,
 * broadcast and transposed operands are read in place.
 */
export interface RowSpace {
  /** shape the operands broadcast to, before the permutation */
  base: number[];
  keep: number[];
  red: number[];
  nRows: number;
  nCols: number;
  wide: boolean;
  /** the main input's unit-stride dimension is a kept one (rows are the contiguous direction) */
  unitKept: boolean;
}

/**
 * `strides` (the main input's, when known) order the kept and the reduced dimensions from slowest
 * to fastest in memory: the last reduced dimension is then the contiguous one when one is
 * reduced, so a block of columns is one contiguous run (the result does not depend on the order
 * in which a reduction visits its columns, beyond rounding), and consecutive rows are neighbours in
 * memory when the contiguous dimension is kept.
 */
export function rowSpace(base: number[], redDims: number[], strides: number[] | null = null): RowSpace {
  const rank = base.length;
  let red = [...new Set(redDims.map((d) => (d < 0 ? d + rank : d)))].sort((a, b) => a - b);
  let keep = Array.from({ length: rank }, (_, i) => i).filter((i) => !red.includes(i));
  let unitKept = keep.includes(rank - 1) && rank > 0;
  if (strides && strides.length === rank) {
    const key = (d: number): number => (base[d] === 1 ? Infinity : Math.abs(strides[d]!));
    const bySlowest = (a: number, b: number): number => key(b) - key(a) || a - b;
    keep = [...keep].sort(bySlowest);
    red = [...red].sort(bySlowest);
    const unit = Array.from({ length: rank }, (_, i) => i).find((d) => strides[d] === 1 && base[d]! > 1);
    unitKept = unit !== undefined && keep.includes(unit);
  }
  return {
    unitKept,
    base,
    keep,
    red,
    nRows: numel(keep.map((d) => base[d]!)),
    nCols: numel(red.map((d) => base[d]!)),
    wide: numel(base) >= 2 ** 31 - 1,
  };
}

export function perm(s: RowSpace): number[] {
  return [...s.keep, ...s.red];
}

export interface RowOperand {
  /** kernel-side name: `${name}_ptr`, strides `${name}_k*`, `${name}_d*` */
  name: string;
  /** "full": one element per (row, column); "row": one per row */
  space: "full" | "row";
}

export function kernelParams(s: RowSpace, ops: RowOperand[]): string[] {
  const nk = s.keep.length;
  const nr = s.red.length;
  return [
    ...ops.map((o) => `${o.name}_ptr`),
    "n_rows",
    "n_cols",
    // sizes are compile-time constants (the module is specialised to them): splitting a flat row
    // or column index into coordinates is then shifts and multiplications, not integer divisions
    ...argNames("KS", nk).map((x) => `${x}: tl.constexpr`),
    ...argNames("DS", nr).map((x) => `${x}: tl.constexpr`),
    ...ops.flatMap((o) => [...argNames(`${o.name}_k`, nk), ...(o.space === "full" ? argNames(`${o.name}_d`, nr) : [])]),
  ];
}

/** Python launch arguments matching kernelParams; `views` gives each operand's view expression. */
export function launchArgs(s: RowSpace, ops: RowOperand[], views: Map<string, string>): string[] {
  const nk = s.keep.length;
  return [
    ...ops.map((o) => views.get(o.name)!),
    String(s.nRows),
    String(s.nCols),
    ...s.keep.map((d) => String(s.base[d])),
    ...s.red.map((d) => String(s.base[d])),
    ...ops.map((o) => (o.space === "full" ? `*${views.get(o.name)}.stride()` : `*${views.get(o.name)}.stride()[:${nk}]`)),
  ];
}

/** Python view of a value broadcast over the whole space (then permuted rows-first). */
export function fullView(s: RowSpace, expr: string): string {
  return `${expr}.expand(${pyList(s.base)})${permuted(s)}`;
}

/** The permute to the row space's order; nothing where it is the identity (a view op less per call). */
export function permuted(s: RowSpace): string {
  const p = perm(s);
  return p.every((d, i) => d === i) ? "" : `.permute(${pyList(p)})`;
}

/** Python view of a per-row value whose shape is `shape` (the reduced result, keepdim or not). */
export function rowView(s: RowSpace, expr: string, shape: number[]): string {
  const keepShape = s.base.map((x, i) => (s.red.includes(i) ? 1 : x));
  return `${expr}.expand(${pyList(shape)}).reshape(${pyList(keepShape)}).expand(${pyList(s.base)})${permuted(s)}`;
}

/** Kernel lines: this program's rows and each operand's row offset. */
export function rowPrologue(s: RowSpace, ops: RowOperand[]): string[] {
  const nk = s.keep.length;
  const lines = [
    `    pid = tl.program_id(0)`,
    s.wide ? `    rows = pid.to(tl.int64) * BLOCK_M + tl.arange(0, BLOCK_M)` : `    rows = pid * BLOCK_M + tl.arange(0, BLOCK_M)`,
    `    row_mask = rows < n_rows`,
  ];
  if (nk > 0) {
    lines.push(`    # rows: coordinates over the kept dimensions`);
    lines.push(...unravel("rows", "r", "KS", nk, "    "));
  }
  for (const o of ops) lines.push(`    ${o.name}_row = ${nk ? dotStrides("r", `${o.name}_k`, nk) : "rows * 0"}`);
  // 64-bit columns too when wide: a column's offset is its coordinate times a stride that can
  // span the whole tensor (a reduction over the slowest dimension)
  lines.push(s.wide ? `    cols0 = tl.arange(0, BLOCK_N).to(tl.int64)` : `    cols0 = tl.arange(0, BLOCK_N)`);
  return lines;
}

/** Kernel lines: columns `start + cols0`, their mask, each full operand's column offset. */
export function colBlock(s: RowSpace, ops: RowOperand[], start: string, indent: string): string[] {
  const nr = s.red.length;
  const lines = [
    `${indent}cols = ${start} + cols0`,
    `${indent}col_mask = cols < n_cols`,
    `${indent}mask = row_mask[:, None] & col_mask[None, :]`,
  ];
  if (nr > 1) lines.push(`${indent}# columns: coordinates over the reduced dimensions`);
  lines.push(...unravel("cols", "c", "DS", nr, indent));
  for (const o of ops) if (o.space === "full") lines.push(`${indent}${o.name}_col = ${dotStrides("c", `${o.name}_d`, nr)}`);
  return lines;
}

export function fullPtr(name: string): string {
  return `${name}_ptr + ${name}_row[:, None] + ${name}_col[None, :]`;
}

/**
 * Tile shape. Rows x columns <= 4096 elements per program (fp32 registers); when the input's
 * contiguous dimension is a kept one, tiles are tall so that a warp's loads are consecutive.
 */
export function tileFor(s: RowSpace, contiguousDimKept: boolean, wholeRow: boolean): { BM: number; BN: number } {
  const budget = 4096;
  // enough programs to fill the GPU (two waves of 132 SMs) before making tiles taller
  const PROGRAMS = 264;
  const rowsFor = (cap: number): number => {
    let bm = Math.max(1, Math.min(nextPow2(s.nRows), cap));
    while (bm > 1 && Math.ceil(s.nRows / bm) < PROGRAMS) bm /= 2;
    return bm;
  };
  if (wholeRow) {
    const BN = Math.max(2, nextPow2(s.nCols));
    return { BM: rowsFor(Math.max(1, Math.min(Math.floor(budget / BN), 64))), BN };
  }
  if (contiguousDimKept) {
    // rows are the contiguous direction: keep at least 16 of them per tile for coalesced loads
    const BM = Math.max(Math.min(16, nextPow2(s.nRows)), rowsFor(64));
    const BN = Math.max(2, Math.min(nextPow2(s.nCols), Math.floor(budget / BM)));
    return { BM, BN };
  }
  const BN = Math.max(2, Math.min(nextPow2(s.nCols), 2048));
  return { BM: rowsFor(Math.max(1, Math.floor(budget / BN))), BN };
}
