/** Small helpers shared by the kernel templates: literals, names, index arithmetic. */

export type Ty = "f" | "i" | "b";

export function tyOfDtype(dtype: string): Ty {
  if (dtype === "bool") return "b";
  if (dtype.startsWith("int") || dtype.startsWith("uint")) return "i";
  return "f";
}

/** Triton dtype for a torch dtype name. */
export function tlDtype(dtype: string): string {
  const map: Record<string, string> = {
    float32: "tl.float32", float16: "tl.float16", bfloat16: "tl.bfloat16", float64: "tl.float64",
    int64: "tl.int64", int32: "tl.int32", int16: "tl.int16", int8: "tl.int8", uint8: "tl.uint8", bool: "tl.int1",
  };
  const t = map[dtype];
  if (!t) throw new Error(`no Triton dtype for torch dtype ${dtype}`);
  return t;
}

export function torchDtype(dtype: string): string {
  return `torch.${dtype}`;
}

/** A float constant the capture wrote as text ({"float": "-inf"}: Python's str of the value). */
export function floatText(text: string): number {
  return text === "inf" ? Infinity : text === "-inf" ? -Infinity : Number(text);
}

/** A Python float literal (always with a decimal point or exponent, inf/nan spelled out). */
export function floatLit(v: number): string {
  if (Number.isNaN(v)) return 'float("nan")';
  if (v === Infinity) return 'float("inf")';
  if (v === -Infinity) return 'float("-inf")';
  const s = String(v);
  return /[.eE]/.test(s) ? s : `${s}.0`;
}

export function intLit(v: number): string {
  return String(Math.trunc(v));
}

export function pyList(xs: number[]): string {
  return xs.length === 1 ? `(${xs[0]},)` : `(${xs.join(", ")})`;
}

export function numel(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** A safe Python identifier from a graph id. */
export function ident(id: string): string {
  return id.replace(/[^A-Za-z0-9_]/g, "_");
}

/**
 * Lines that split a flat index `flat` into coordinates over `sizes` (row-major, last fastest),
 * naming them `${prefix}0..`. Sizes are kernel arguments `${sizePrefix}0..`.
 */
export function unravel(flat: string, prefix: string, sizePrefix: string, rank: number, indent: string): string[] {
  if (rank === 0) return [];
  if (rank === 1) return [`${indent}${prefix}0 = ${flat}`];
  const lines: string[] = [`${indent}${prefix}_rem = ${flat}`];
  for (let d = rank - 1; d >= 1; d--) {
    lines.push(`${indent}${prefix}${d} = ${prefix}_rem % ${sizePrefix}${d}`);
    lines.push(`${indent}${prefix}_rem = ${prefix}_rem // ${sizePrefix}${d}`);
  }
  lines.push(`${indent}${prefix}0 = ${prefix}_rem`);
  return lines;
}

/** `c0 * s0 + c1 * s1 + ...` (or "0" for rank 0). */
export function dotStrides(coord: string, strides: string, rank: number): string {
  if (rank === 0) return "0";
  return Array.from({ length: rank }, (_, d) => `${coord}${d} * ${strides}${d}`).join(" + ");
}

export function argNames(prefix: string, rank: number): string[] {
  return Array.from({ length: rank }, (_, d) => `${prefix}${d}`);
}

/** Whether int64 offsets are needed: some tensor spans more elements than int32 indexes safely. */
export function needsWideIndex(shapes: number[][]): boolean {
  return shapes.some((s) => numel(s) >= 2 ** 31 - 1);
}
