import { argNames, floatLit, ident, pyList } from "./codegen.js";
import type { ModuleBuilder } from "./builder.js";
import { isRef, refId, type Arg, type GraphNode } from "./graph.js";
import { UnsupportedOp } from "./pointwise-ops.js";
import { emitReduction } from "./reduction.js";

/**
 * Pooling over the last 1-3 dimensions: max (values, and indices for the `_with_indices` forms),
 * average (padding, ceil mode, count_include_pad, divisor_override), adaptive average and
 * adaptive max (values and indices). One
 * program computes BLOCK outputs; each walks its window (the last window dimension unrolled),
 * reading the input through its strides. Where the last output dimension is long, a program's
 * outputs are BLOCK of one row of it (ROWS): their offsets are then provably contiguous, so loads
 * and stores coalesce and vectorise, and the row's other coordinates are computed once per program
 * instead of per element; otherwise the outputs are BLOCK of the flattened output. Sizes are read from the tensors at call time (the output
 * size is computed by the wrapper with PyTorch's formula), so any batch or spatial size works;
 * offsets are 64-bit when the input has 2^31 elements or more (decided per call).
 */
export const POOL_OPS = new Set([
  "max_pool1d", "max_pool2d", "max_pool3d", "max_pool1d_with_indices", "max_pool2d_with_indices", "max_pool3d_with_indices",
  "avg_pool1d", "avg_pool2d", "avg_pool3d", "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d", "_adaptive_avg_pool2d", "_adaptive_avg_pool3d",
  "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool3d",
]);

type PoolKind = "max" | "avg";

interface PoolSpec {
  kind: PoolKind;
  /** adaptive windows: [floor(o * I / O), ceil((o + 1) * I / O)) */
  adaptive: boolean;
  nd: number;
  indices: boolean;
  kernel: number[];
  stride: number[];
  padding: number[];
  dilation: number[];
  ceil: boolean;
  countPad: boolean;
  divisor: number | null;
  /** adaptive: the requested output size (null: the input's) */
  outSize: (number | null)[];
}

function intsArg(a: Arg | undefined, nd: number, fallback: number[], what: string, op: string): number[] {
  if (a === undefined || a === null || (Array.isArray(a) && a.length === 0)) return fallback;
  const xs = typeof a === "number" ? [a] : Array.isArray(a) ? a.map((x) => Number(x)) : [NaN];
  if (xs.some((x) => !Number.isInteger(x))) throw new UnsupportedOp(op, `a ${what} that is not a list of integers (${JSON.stringify(a)})`);
  return xs.length === 1 ? Array.from({ length: nd }, () => xs[0]!) : xs;
}

export function poolSpec(n: GraphNode): PoolSpec {
  const nd = Number(/([123])d/.exec(n.op)?.[1] ?? NaN);
  const a = n.args;
  const base = { nd, adaptive: false, indices: n.op.endsWith("_with_indices"), ceil: false, countPad: true, divisor: null, outSize: [] as (number | null)[] };
  const ones = Array.from({ length: nd }, () => 1);
  const zeros = Array.from({ length: nd }, () => 0);
  if (n.op.includes("adaptive")) {
    const size = Array.isArray(a[1]) ? a[1].map((x) => (x === null ? null : Number(x))) : [Number(a[1])];
    const outSize = size.length === 1 ? Array.from({ length: nd }, () => size[0]!) : size;
    // adaptive max pooling always returns (values, indices)
    const max = n.op.includes("max");
    return { ...base, kind: max ? "max" : "avg", adaptive: true, indices: max, kernel: ones, stride: ones, padding: zeros, dilation: ones, outSize };
  }
  const kernel = intsArg(a[1], nd, [], "kernel size", n.op);
  if (kernel.length !== nd) throw new UnsupportedOp(n.op, `kernel size ${JSON.stringify(a[1])} for ${nd} pooled dimensions`);
  const stride = intsArg(a[2], nd, kernel, "stride", n.op);
  const padding = intsArg(a[3], nd, zeros, "padding", n.op);
  if (n.op.startsWith("max")) {
    return { ...base, kind: "max", kernel, stride, padding, dilation: intsArg(a[4], nd, ones, "dilation", n.op), ceil: a[5] === true };
  }
  const divisor = a[6] === undefined || a[6] === null ? null : Number(a[6]);
  return { ...base, kind: "avg", kernel, stride, padding, dilation: ones, ceil: a[4] === true, countPad: a[5] !== false, divisor };
}

function isGlobalPool(sp: PoolSpec): boolean {
  return sp.adaptive && sp.kind === "avg" && sp.outSize.every((o) => o === 1);
}

/** Whether the emitted pooling reads its sizes at call time (global pooling is a specialised mean). */
export function poolReadsSizes(n: GraphNode): boolean {
  return !isGlobalPool(poolSpec(n));
}

const OUT_SIZE_HELPER = `def _pool_out_size(size, k, s, p, d, ceil_mode):
    # PyTorch's pooling output size; in ceil mode the last window must start inside the input or
    # its left padding
    span = size + 2 * p - d * (k - 1) - 1
    out = (span + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out`;

// Blocks of 256 along a row: on the H200, KernelBench 41/42/44 took 3.83/4.62/2.51 ms in blocks of
// 1024 and 2.90/2.62/1.83 in blocks of 256 (flat blocks of 256: 5.20/7.55/2.32).
const GRID_HELPER = `def _pool_grid(out):
    # a long last output dimension: one row of it per program row, up to 256 outputs of it per
    # program (contiguous offsets); a short one: blocks of 256 of the flattened output
    last = out.shape[-1]
    rows = out.numel() // last
    block = min(256, triton.next_power_of_2(last))
    if last >= 64 and rows < 2**31 and triton.cdiv(last, block) <= 65535:
        return (rows, triton.cdiv(last, block)), True, block
    return (triton.cdiv(out.numel(), 256),), False, 256`;

export function emitPool(b: ModuleBuilder, n: GraphNode): void {
  const src = n.args[0];
  if (src === undefined || !isRef(src)) throw new UnsupportedOp(n.op, "an input that is not a tensor");
  const sp = poolSpec(n);
  const inMeta = b.meta(refId(src));
  const rank = inMeta.shape.length;
  const nd = sp.nd;
  if (rank < nd + 1) throw new UnsupportedOp(n.op, `an input of rank ${rank} for ${nd}-D pooling`);
  if (sp.padding.some((p, i) => p * 2 > sp.kernel[i]!) && !sp.adaptive) {
    throw new UnsupportedOp(n.op, "padding larger than half the kernel (PyTorch refuses it too)");
  }
  const lead = rank - nd;
  if (isGlobalPool(sp)) {
    // global average pooling is a mean over the pooled dims: the row kernels parallelise it
    // over the columns too (one program per output would walk a whole plane alone)
    const dims = Array.from({ length: nd }, (_, d) => lead + d);
    emitReduction(b, { ...n, op: "mean", target: "aten.mean.dim", args: [src, dims, true], kwargs: {} }, null, null);
    return;
  }
  const outDtype = sp.indices ? n.outputs![0]!.dtype : n.dtype!;
  const name = b.kernelName(`${sp.adaptive ? "adaptive_" : ""}${sp.kind}_pool${nd}d`);
  b.kernels.push(poolKernel(name, sp, rank, lead, computeType(inMeta.dtype)));

  const x = `x_${ident(n.id)}`;
  const out = `v_${ident(n.id)}`;
  b.line(`# ${n.op}: one kernel, every output reads its window once`);
  b.line(`${x} = ${b.val(refId(src))}`);
  const inSizes = Array.from({ length: nd }, (_, d) => `${x}.shape[${lead + d}]`);
  let outSizes: string[];
  if (sp.adaptive) {
    outSizes = sp.outSize.map((o, d) => (o === null ? inSizes[d]! : String(o)));
  } else {
    b.helpers.add(OUT_SIZE_HELPER);
    outSizes = inSizes.map((s, d) => `_pool_out_size(${s}, ${sp.kernel[d]}, ${sp.stride[d]}, ${sp.padding[d]}, ${sp.dilation[d]}, ${sp.ceil ? "True" : "False"})`);
  }
  const shape = `(*${x}.shape[:${lead}], ${outSizes.join(", ")})`;
  b.line(`${out} = torch.empty(${shape}, device=${x}.device, dtype=torch.${outDtype})`);
  const idx = sp.indices ? `i_${ident(n.id)}` : null;
  if (idx) b.line(`${idx} = torch.empty(${out}.shape, device=${x}.device, dtype=torch.int64)`);
  // adaptive windows span at most ceil(in / out) + 1 elements
  const kmax = sp.adaptive ? Array.from({ length: nd }, (_, d) => `min(${inSizes[d]}, -(-${inSizes[d]} // max(${outSizes[d]}, 1)) + 1)`) : [];
  const args = [x, out, idx ?? out, `${out}.numel()`, `*${out}.shape`, ...inSizes, `*${x}.stride()`];
  const consts = [...kmax.map((k, d) => `KMAX${d}=${k}`), `ROWS=rows`, `WIDE=${x}.numel() >= 2**31 or ${out}.numel() >= 2**31`, "BLOCK=block"];
  b.helpers.add(GRID_HELPER);
  b.line(`if ${out}.numel() > 0:`);
  b.line(`    grid, rows, block = _pool_grid(${out})`);
  b.line(`    ${name}[grid](${args.join(", ")}, ${consts.join(", ")}, num_warps=4)`);
  if (idx) {
    b.setVal(`${n.id}#0`, out);
    b.setVal(`${n.id}#1`, idx);
  } else b.setVal(n.id, out);
}

/** The kernel: output coordinates (a block of one row, or of the flattened output) -> window walk. */
function poolKernel(name: string, sp: PoolSpec, rank: number, lead: number, ct: ComputeType): string {
  const nd = sp.nd;
  const params = [
    "x_ptr", "out_ptr", "idx_ptr", "n_out",
    ...argNames("O", rank), ...argNames("I", nd), ...argNames("xs", rank),
    ...(sp.adaptive ? argNames("KMAX", nd).map((k) => `${k}: tl.constexpr`) : []),
    "ROWS: tl.constexpr", "WIDE: tl.constexpr", "BLOCK: tl.constexpr",
  ];
  const k: string[] = [`@triton.jit`, `def ${name}(${params.join(", ")}):`];
  k.push(`    # ${describe(sp)}`);
  k.push(...outputCoords(rank));
  k.push(`    base = ${lead ? Array.from({ length: lead }, (_, d) => `o${d} * xs${d}`).join(" + ") : "offs * 0"}`);
  for (let d = 0; d < nd; d++) {
    const o = `o${lead + d}`;
    if (sp.adaptive) {
      k.push(`    st${d} = (${o} * I${d}) // O${lead + d}`);
      k.push(`    en${d} = ((${o} + 1) * I${d} + O${lead + d} - 1) // O${lead + d}`);
    } else k.push(`    st${d} = ${o} * ${sp.stride[d]} - ${sp.padding[d]}`);
  }
  if (sp.kind === "max") {
    k.push(`    best = tl.full([BLOCK], ${ct.lowest}, ${ct.ty})`);
    if (sp.indices) {
      k.push(`    best_i = tl.zeros([BLOCK], tl.int64)`);
      k.push(`    seen = offs < 0`);
    }
  } else k.push(`    acc = tl.zeros([BLOCK], ${ct.ty})`);
  const taps = (d: number): string => (sp.adaptive ? `KMAX${d}` : String(sp.kernel[d]));
  let ind = "    ";
  for (let d = 0; d < nd; d++) {
    const step = sp.dilation[d] === 1 ? "" : ` * ${sp.dilation[d]}`;
    // the last window dimension is unrolled when it is short; the others are loops
    const unroll = d === nd - 1 && !sp.adaptive && sp.kernel[d]! <= 16;
    k.push(`${ind}for k${d} in ${unroll ? "tl.static_range" : "range"}(${taps(d)}):`);
    ind += "    ";
    k.push(`${ind}p${d} = st${d} + k${d}${step}`);
    const inside = sp.adaptive ? `(p${d} < en${d})` : `(p${d} >= 0) & (p${d} < I${d})`;
    k.push(`${ind}ok${d} = ${d === 0 ? "mask" : `ok${d - 1}`} & ${inside}`);
  }
  const ok = `ok${nd - 1}`;
  const addr = `base + ${Array.from({ length: nd }, (_, d) => `p${d} * xs${lead + d}`).join(" + ")}`;
  if (sp.kind === "max") {
    k.push(`${ind}v = tl.load(x_ptr + ${addr}, mask=${ok}, other=${ct.lowest}).to(${ct.ty})`);
    if (sp.indices) {
      k.push(`${ind}# PyTorch's rule: the first maximum wins, a NaN always replaces (so NaN propagates)`);
      k.push(`${ind}take = ${ok} & (~seen | (v > best) | (v != v))`);
      k.push(`${ind}best = tl.where(take, v, best)`);
      const flat = Array.from({ length: nd }, (_, d) => d).reduce((e, d) => (d === 0 ? `p0` : `(${e}) * I${d} + p${d}`), "");
      k.push(`${ind}best_i = tl.where(take, (${flat}).to(tl.int64), best_i)`);
      k.push(`${ind}seen = seen | ${ok}`);
    } else k.push(`${ind}best = tl.maximum(best, v${ct.float ? ", propagate_nan=tl.PropagateNan.ALL" : ""})`);
    k.push(`    tl.store(out_ptr + offs, best${storeCastFor()}, mask=mask)`);
    if (sp.indices) k.push(`    tl.store(idx_ptr + offs, best_i, mask=mask)`);
  } else {
    k.push(`${ind}acc += tl.load(x_ptr + ${addr}, mask=${ok}, other=0.0).to(${ct.ty})`);
    k.push(`    div = ${divisorExpr(sp, ct.ty)}`);
    k.push(`    tl.store(out_ptr + offs, (acc / div)${storeCastFor()}, mask=mask)`);
  }
  return k.join("\n");
}

/**
 * The output coordinates o0..o{rank-1}, the flat offsets and their mask. ROWS: the program's row of
 * the last output dimension is its first grid index (its coordinates scalars), its outputs a block
 * of that row; otherwise a block of the flattened output.
 */
function outputCoords(rank: number): string[] {
  const last = rank - 1;
  const k = [
    `    if ROWS:`,
    `        row = tl.program_id(0)`,
    `        o${last} = tl.program_id(1) * BLOCK + tl.arange(0, BLOCK)`,
    `        mask = o${last} < O${last}`,
    `        if WIDE:`,
    `            row = row.to(tl.int64)`,
    `        offs = row * O${last} + o${last}`,
    `        rem = row`,
    `    else:`,
    `        pid = tl.program_id(0)`,
    `        if WIDE:`,
    `            offs = pid.to(tl.int64) * BLOCK + tl.arange(0, BLOCK)`,
    `        else:`,
    `            offs = pid * BLOCK + tl.arange(0, BLOCK)`,
    `        mask = offs < n_out`,
    `        o${last} = offs % O${last}`,
    `        rem = offs // O${last}`,
  ];
  for (let d = last - 1; d >= 1; d--) {
    k.push(`    o${d} = rem % O${d}`);
    k.push(`    rem = rem // O${d}`);
  }
  k.push(`    o0 = rem`);
  return k;
}

/**
 * What a window is computed in: fp32 for 16- and 32-bit floats, float64 as itself, integers as
 * themselves (a maximum is exact in its own type; fp32 would round values past 2^24). `lowest`
 * starts a maximum and fills masked lanes.
 */
interface ComputeType {
  ty: string;
  lowest: string;
  float: boolean;
}

const INT_LOWEST: Record<string, string> = { int8: "-128", int16: "-32768", int32: "-2147483648", int64: "-9223372036854775808", uint8: "0" };

function computeType(dtype: string): ComputeType {
  if (dtype in INT_LOWEST) return { ty: `tl.${dtype}`, lowest: INT_LOWEST[dtype]!, float: false };
  return { ty: dtype === "float64" ? "tl.float64" : "tl.float32", lowest: 'float("-inf")', float: true };
}

/** The store casts to the output's element type (the pointer's), whatever it is. */
function storeCastFor(): string {
  return `.to(out_ptr.dtype.element_ty)`;
}

/** The average's divisor, PyTorch's: the window clipped to the padded input, or to the input. */
function divisorExpr(sp: PoolSpec, ty: string): string {
  if (sp.divisor !== null) return floatLit(sp.divisor);
  const nd = sp.nd;
  const dims = Array.from({ length: nd }, (_, d) => d);
  if (sp.adaptive) return dims.map((d) => `(en${d} - st${d})`).join(" * ") + `.to(${ty})`;
  const size = (d: number): string => {
    const end = `tl.minimum(st${d} + ${sp.kernel[d]}, I${d} + ${sp.padding[d]})`;
    return sp.countPad ? `(${end} - st${d})` : `(tl.minimum(${end}, I${d}) - tl.maximum(st${d}, 0))`;
  };
  return `(${dims.map(size).join(" * ")}).to(${ty})`;
}

function describe(sp: PoolSpec): string {
  if (sp.adaptive) return `adaptive ${sp.kind === "max" ? "max" : "average"} pooling over the last ${sp.nd} dimension(s): window [floor(o*I/O), ceil((o+1)*I/O))`;
  const what = sp.kind === "max" ? `max pooling${sp.indices ? " with indices" : ""}` : "average pooling";
  const extra = sp.kind === "max" ? `, dilation ${pyList(sp.dilation)}` : `, count_include_pad=${sp.countPad}${sp.divisor !== null ? `, divisor ${sp.divisor}` : ""}`;
  return `${what}: kernel ${pyList(sp.kernel)}, stride ${pyList(sp.stride)}, padding ${pyList(sp.padding)}${extra}${sp.ceil ? ", ceil mode" : ""}`;
}
