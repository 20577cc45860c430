import { argNames, ident, torchDtype } from "./codegen.js";
import { groupBody, loadSuffix, storeCast, type LoadedValue, type ModuleBuilder } from "./builder.js";
import type { GraphNode } from "./graph.js";
import type { PwGroup } from "./plan.js";
import { convSpec, outSizeExpr, type ConvSpec } from "./conv-spec.js";
import { convConfigs, convReduction, flatReduction, fmaTiles, packedSteps, type ConvReduction, type ConvTiles } from "./conv-tiles.js";
import { gemmLoop } from "./conv-gemm.js";
import { channelsLastInput, relaidWeightKMajor, roundedWeight } from "./conv-gemm-kmajor.js";
import { predictedConvPrecision, tf32Rounding, type ConvPrecision } from "./conv-precision.js";
import { addTileRounding, ROUND_CODE } from "./conv-rounding.js";

/**
 * Convolutions (1-D, 2-D, 3-D; stride, padding, dilation, groups; transposed with output padding)
 * as implicit-GEMM kernels: rows are output pixels (batch and spatial positions), columns the
 * output channels of one group, and the reduction runs over (kernel tap, input channel of the
 * group), taps outer (conv-gemm.ts has the main loop). No im2col buffer: each tile of the virtual
 * im2col matrix is gathered from a channels-last copy of the input made per call (channels along
 * the fast axis: K-major operands, conv-gemm-kmajor.ts; with AuthorOptions.convOperands "mn-major"
 * from the input as it is, output pixels along the fast axis), with out-of-range taps (padding)
 * masked to zero. A
 * transposed convolution gathers the input pixel i = (o + padding - tap * dilation) / stride; with
 * a stride, output pixels are split by phase (o mod stride) and each phase walks only the taps that
 * reach it. The bias and any pointwise chain after the convolution run on the tile in registers
 * before the one store. Tiles are autotuned on a GPU (conv-tiles.ts, `convConfigs`).
 *
 * Precision (fp32): the kernel matches what the eager reference computes (conv-precision.ts says
 * which that is). Where cuDNN's algorithm rounds to TF32, both operands are rounded to TF32 as
 * cuDNN rounds them (conv-rounding.ts; once, in their copies, with K-major operands) and multiply on the
 * tensor cores: products of TF32 values are exact in fp32, so the result differs from the
 * reference only by the order of the fp32 sums. The TF32 flags are read at call time: with
 * torch.backends.cudnn.allow_tf32 off, off the GPU, or with cuDNN disabled, and where cuDNN's
 * algorithm is exact fp32, the products are three TF32 products (hi*hi + hi*lo + lo*hi, close to
 * fp32 accuracy on the tensor cores). Depthwise convolutions (one input channel per group) are not
 * cuDNN's in PyTorch: its own fp32 FMA kernels run them, so the kernel does too (no tensor cores; the reduction is only the
 * kernel's taps, in the weight's own order). Shapes are read from the tensors at call time (any
 * batch or spatial size); 64-bit offsets are switched on per call when a tensor reaches 2^31
 * elements.
 */

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** The numbers a convolution's kernel and launch are written from. */
interface ConvGeometry {
  s: ConvSpec;
  cinG: number;
  cout: number;
  coutG: number;
  kvol: number;
  lowp: boolean;
  /** the tensor-core reduction, or null for the FMA product of the depthwise case */
  red: ConvReduction | null;
  /** the tensor-core operands contiguous along the reduction (AuthorOptions.convOperands) */
  kMajor: boolean;
}

function geometry(b: ModuleBuilder, node: GraphNode): ConvGeometry {
  const s = convSpec(node, (id) => b.meta(id).shape);
  const w = b.meta(s.w).shape;
  const cinG = s.transposed ? w[0]! / s.groups : w[1]!;
  const cout = s.transposed ? w[1]! * s.groups : w[0]!;
  const coutG = cout / s.groups;
  const kvol = s.kernel.reduce((x, y) => x * y, 1);
  const dtype = b.meta(s.x).dtype;
  // PyTorch runs a depthwise convolution with its own fp32 FMA kernels, not cuDNN's tensor cores
  const dot = s.transposed || cinG > 1;
  const packed = dot ? convReduction(cinG, tapsWalked(s, s.S - 1)) : null;
  const kMajor = packed !== null && b.options.convOperands !== "mn-major";
  const flat = packed && kMajor && !s.transposed ? flatReduction(packed, s.kernel, tapSteps(s, packed)) : null;
  return { s, cinG, cout, coutG, kvol, lowp: dtype === "float16" || dtype === "bfloat16", red: flat ?? packed, kMajor };
}

/** The precision a tensor-core fp32 convolution matches (recorded for a retry), null for other cases. */
function fp32Precision(b: ModuleBuilder, geo: ConvGeometry): ConvPrecision | null {
  if (!geo.red || geo.lowp) return null;
  const p = b.options.convPrecision ?? predictedConvPrecision(geo.s);
  b.used.conv.add(p);
  return p;
}

/** The most taps a program walks along dimension d (a phase of a strided transposed one walks every STEP-th). */
function tapsWalked(s: ConvSpec, d: number): number {
  return phasedDims(s).includes(d) ? Math.ceil(s.kernel[d]! / phaseStep(s, d)) : s.kernel[d]!;
}

/** The most K steps a program's main loop makes: the packed reduction's, or outer taps times the last dimension's steps. */
function kSteps(geo: ConvGeometry): number {
  const { red, kvol } = geo;
  return red!.flat ? packedSteps(kvol, red!.CP, red!.BK) : tapSteps(geo.s, red!);
}

/** K steps walking taps (outer taps times the last dimension's steps), as an unpacked reduction does. */
function tapSteps(s: ConvSpec, red: ConvReduction): number {
  const L = s.S - 1;
  const outer = s.kernel.slice(0, L).reduce((acc, _, d) => acc * tapsWalked(s, d), 1);
  return outer * Math.ceil((tapsWalked(s, L) * red.CP) / red.BK);
}

/** A phase of a strided transposed dimension walks every STEP-th tap. */
function phaseStep(s: ConvSpec, d: number): number {
  return s.stride[d]! / gcd(s.stride[d]!, s.dilation[d]!);
}

/**
 * Python for the autotuner's configurations: every one on a GPU, the first off it (Triton's
 * autotuner times with the GPU's benchmarker, which a module run under the interpreter outside the
 * harness lacks; python/tests/each_config.py checks the others on the CPU one at a time).
 */
const CONV_CONFIGS_HELPER = `def _conv_configs(gpu):
    # (BLOCK_M, BLOCK_N, warps, stages): on a GPU the autotuner times each once per GEMM size;
    # Triton's interpreter (no GPU) runs the first
    chosen = gpu if torch.cuda.is_available() else gpu[:1]
    return [triton.Config({"BLOCK_M": m, "BLOCK_N": n}, num_warps=w, num_stages=s) for m, n, w, s in chosen]`;

export function emitConv(b: ModuleBuilder, node: GraphNode, epilogue: PwGroup | null): void {
  const geo = geometry(b, node);
  const { s } = geo;
  const name = b.kernelName(s.transposed ? "conv_transpose" : "conv");
  const what = describe(node, s, b.meta(s.x).shape, b.meta(s.w).shape);
  const configs = geo.red ? convConfigs(geo.coutG, geo.red.BK, kSteps(geo)) : null;
  // the MN-major loop rounds each tile to TF32 itself; the K-major one gets rounded operands
  const round = geo.red && !geo.lowp && !geo.kMajor ? addTileRounding(b, tf32Rounding(s)) : null;
  const opts = { geo, configs, round, extras: epilogue?.externals.length ?? 0, bias: s.bias !== null, what, epilogue, b, nodeId: node.id };
  b.kernels.push(kernelSource(name, s, opts).join("\n"));
  if (configs) b.helpers.add(CONV_CONFIGS_HELPER);
  emitLaunch(b, node, epilogue, geo, name, what);
}

/** The wrapper: output sizes from the input's shape, then one launch over (row tiles, channel tiles, groups x phases). */
function emitLaunch(b: ModuleBuilder, node: GraphNode, epilogue: PwGroup | null, geo: ConvGeometry, name: string, what: string): void {
  const { s, cinG, cout, coutG, kvol, red, kMajor } = geo;
  const S = s.S;
  const G = s.groups;
  const ext = epilogue ? epilogue.externals : [];
  const finalId = epilogue ? epilogue.root.id : node.id;
  const outDtype = epilogue ? epilogue.root.dtype! : node.dtype!;
  const outVar = `v_${ident(finalId)}`;
  const id = ident(node.id);
  const [xv, wv, qv, mv] = [`x_${id}`, `w_${id}`, `q_${id}`, `m_${id}`];
  const spatial = (v: string) => Array.from({ length: S }, (_, d) => `${v}.shape[${d + 2}]`);
  b.line(`# ${what}${epilogue ? `, with ${epilogue.nodes.map((x) => x.op).join(" -> ")} fused into the epilogue` : ""}`);
  // an unbatched input (C, spatial...) is a batch of one; the result drops that dimension again
  const unbatched = b.meta(s.x).shape.length === S + 1;
  b.line(`${xv} = ${b.val(s.x)}${unbatched ? ".unsqueeze(0)" : ""}`);
  b.line(`${wv} = ${b.val(s.w)}`);
  b.line(`if ${xv}.dim() != ${S + 2} or ${xv}.shape[1] != ${cinG * G}:`);
  b.line(`    raise ValueError(f"${node.op}: expected an input of shape (N, ${cinG * G}, ${S === 1 ? "L" : S === 2 ? "H, W" : "D, H, W"}), got {tuple(${xv}.shape)}")`);
  const outSizes = spatial(xv).map((e, d) => outSizeExpr(s, d, e));
  b.line(`${outVar} = torch.empty((${xv}.shape[0], ${cout}, ${outSizes.join(", ")}), device=${xv}.device, dtype=${torchDtype(outDtype)})`);
  const extraVars = ext.map((e, j) => {
    const v = `e${j}_${id}`;
    b.line(`${v} = ${b.val(e)}.expand(${outVar}.shape)`);
    return v;
  });
  // rows: output pixels (of one phase, for a strided transposed convolution)
  const phased = phasedDims(s);
  const P = phased.map((d) => s.stride[d]!).reduce((x, y) => x * y, 1);
  const qs = spatial(outVar).map((e, d) => (phased.includes(d) ? `triton.cdiv(${e}, ${s.stride[d]})` : e));
  b.line(`${qv} = (${qs.join(", ")}${S === 1 ? "," : ""})`);
  b.line(`${mv} = ${xv}.shape[0] * ${qs.map((_, d) => `${qv}[${d}]`).join(" * ")}`);
  const precision = fp32Precision(b, geo);
  const tf32On = `${xv}.is_cuda and torch.backends.cudnn.enabled and torch.backends.cudnn.allow_tf32`;
  if (precision) b.line(`# fp32 on the tensor cores, matching the eager reference's ${precision === "tf32" ? "TF32 rounding (cuDNN's TF32 algorithm)" : "exact fp32 (cuDNN's algorithm here is not TF32)"}`);
  // K-major: the operands' copies round them to TF32 (rounding code rnd, conv-rounding.ts)
  const rnd = kMajor && precision === "tf32" ? `rnd_${id}` : "0";
  if (rnd !== "0") b.line(`${rnd} = ${ROUND_CODE[tf32Rounding(s)]} if ${tf32On} else 0`);
  // the tensor the kernel gathers its input tiles from
  const xa = kMajor ? channelsLastInput(b, xv, rnd) : xv;
  const wr = red ? (kMajor ? relaidWeightKMajor(b, s, wv, cinG, coutG, red.CP) : relaidWeight(b, s, wv, cinG, coutG)) : wv;
  if (kMajor) roundedWeight(b, wr, rnd);
  const head = [xa, wr, outVar, ...(s.bias ? [b.val(s.bias)] : []), ...extraVars, mv, String(coutG), String(cinG * kvol)];
  const strides = [
    ...spatial(xv), ...spatial(outVar), `*${qv}`,
    `*${xa}.stride()`, ...(red ? [] : [`${wv}.stride(0)`, `${wv}.stride(1)`, ...Array.from({ length: S }, (_, d) => `${wv}.stride(${d + 2})`)]),
    `*${outVar}.stride()`, ...extraVars.map((v) => `*${v}.stride()`),
  ];
  const tf32 = precision !== "tf32" ? "False" : rnd !== "0" ? `${rnd} != 0` : tf32On;
  const wide = [`${xv}.numel()`, `${outVar}.numel()`].map((e) => `${e} >= 2**31 - 1`).join(" or ");
  const steps = phased.map((d) => `, STEP${d}=${phaseStep(s, d)}`).join("");
  const consts = `${convConstArgs(s)}${steps}, C_IN_G=${cinG}, KVOL=${kvol}, TF32=${tf32}, WIDE=${wide}`;
  if (red) {
    b.line(`grid = lambda meta: (triton.cdiv(${mv}, meta["BLOCK_M"]) * triton.cdiv(${coutG}, meta["BLOCK_N"]), 1, ${G * P})`);
    b.line(`${name}[grid](${[...head, ...strides].join(", ")}, ${consts}, CP=${red.CP}, BLOCK_K=${red.BK})`);
  } else {
    const t = fmaTiles(coutG, cinG * kvol);
    b.line(`grid = (triton.cdiv(${mv}, ${t.BM}) * ${Math.ceil(coutG / t.BN)}, 1, ${G})`);
    b.line(`${name}[grid](${[...head, ...strides].join(", ")}, ${consts}, BLOCK_M=${t.BM}, BLOCK_N=${t.BN}, BLOCK_K=${t.BK}, num_warps=${t.warps}, num_stages=${t.stages})`);
  }
  if (unbatched) b.line(`${outVar} = ${outVar}[0]`);
  b.setVal(finalId, outVar);
}

/**
 * Wrapper lines re-laying the weight as [groups, taps..., C_in/groups, C_out/groups], contiguous,
 * so that a B tile row is contiguous output channels. It costs one read and one write of the weight
 * per call (KVOL x C_in x C_out / groups elements, small next to the activations the kernel reads).
 */
function relaidWeight(b: ModuleBuilder, s: ConvSpec, wv: string, cinG: number, coutG: number): string {
  const taps = s.kernel.map((_, d) => d + 3);
  // weight: (C_out, C_in/groups, k...); transposed: (C_in, C_out/groups, k...)
  const [rows, cols] = s.transposed ? [cinG, coutG] : [coutG, cinG];
  const order = s.transposed ? [0, ...taps, 1, 2] : [0, ...taps, 2, 1];
  const v = `${wv}_r`;
  b.line(`# the weight as [groups, taps, C_in/groups, C_out/groups]: one copy of it per call, B tile rows contiguous`);
  b.line(`${v} = ${wv}.reshape(${[s.groups, rows, cols, ...s.kernel].join(", ")}).permute(${order.join(", ")}).contiguous()`);
  return v;
}

function describe(node: GraphNode, s: ConvSpec, x: number[], w: number[]): string {
  const parts = [`stride ${s.stride.join("x")}`, s.same ? "padding same" : `padding ${s.padLo.join("x")}`, `dilation ${s.dilation.join("x")}`];
  if (s.transposed) parts.push(`output padding ${s.outputPadding.join("x")}`);
  if (s.groups > 1) parts.push(`groups ${s.groups}`);
  parts.push(s.bias ? "bias" : "no bias");
  return `${node.op} ${JSON.stringify(x)} * weight ${JSON.stringify(w)} (${parts.join(", ")}) -> ${JSON.stringify(node.shape)} at capture`;
}

interface KernelOpts {
  geo: ConvGeometry;
  /** the autotuner's configurations (tensor-core path); null: the FMA path's fixed tile */
  configs: ConvTiles[] | null;
  /** the helper rounding each operand tile to TF32 (MN-major fp32); null: none, or rounded beforehand */
  round: string | null;
  extras: number;
  bias: boolean;
  what: string;
  epilogue: PwGroup | null;
  b: ModuleBuilder;
  nodeId: string;
}

function kernelSource(name: string, s: ConvSpec, o: KernelOpts): string[] {
  const S = s.S;
  const dims = Array.from({ length: S }, (_, d) => d);
  const phased = phasedDims(s);
  const red = o.geo.red;
  const ext = Array.from({ length: o.extras }, (_, j) => `e${j}`);
  const consts = dims.flatMap((d) => [`KS${d}: tl.constexpr`, `ST${d}: tl.constexpr`, `PD${d}: tl.constexpr`, `DL${d}: tl.constexpr`]);
  const params = [
    "x_ptr", "w_ptr", "c_ptr", ...(o.bias ? ["bias_ptr"] : []), ...ext.map((e) => `${e}_ptr`),
    "M", "COUT_G", "K", ...argNames("I", S), ...argNames("O", S), ...argNames("Q", S),
    "sx_n", "sx_c", ...argNames("sx_", S),
    ...(red ? [] : ["sw_o", "sw_c", ...argNames("sw_", S)]),
    "sc_n", "sc_c", ...argNames("sc_", S),
    ...ext.flatMap((e) => [`${e}_sn`, `${e}_sc`, ...argNames(`${e}_s`, S)]),
    ...consts,
    ...phased.map((d) => `STEP${d}: tl.constexpr`),
    "C_IN_G: tl.constexpr", "KVOL: tl.constexpr", "TF32: tl.constexpr", "WIDE: tl.constexpr",
    ...(red ? ["CP: tl.constexpr"] : []),
    "BLOCK_M: tl.constexpr", "BLOCK_N: tl.constexpr", "BLOCK_K: tl.constexpr",
  ];
  const tuple = (t: ConvTiles) => `(${t.BM}, ${t.BN}, ${t.warps}, ${t.stages})`;
  const k: string[] = o.configs ? [`@triton.autotune(configs=_conv_configs([${o.configs.map(tuple).join(", ")}]), key=["M", "COUT_G", "K"])`] : [];
  k.push(`@triton.jit`, `def ${name}(${params.join(", ")}):`, ...header(s, o, phased));
  k.push(`    # the channel tiles of one row tile are neighbours in launch order: they share its input rows in L2`);
  k.push(`    num_pid_n = tl.cdiv(COUT_G, BLOCK_N)`);
  k.push(`    pid_m = tl.program_id(0) // num_pid_n`);
  k.push(`    pid_n = tl.program_id(0) % num_pid_n`);
  if (phased.length) {
    const P = phased.map((d) => s.stride[d]!).reduce((a, b) => a * b, 1);
    k.push(`    # program_id(2) = group * ${P} + output phase (o mod stride along ${phased.map((d) => `dim ${d}`).join(", ")})`);
    k.push(`    g = tl.program_id(2) // ${P}`);
    k.push(`    ph = tl.program_id(2) % ${P}`);
    for (const d of [...phased].reverse()) {
      k.push(`    ph${d} = ph % ST${d}`);
      k.push(`    ph = ph // ST${d}`);
    }
    k.push(...phaseTaps(phased));
  } else {
    k.push(`    g = tl.program_id(2)`);
  }
  k.push(`    offs_m = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)`);
  k.push(`    offs_n = pid_n * BLOCK_N + tl.arange(0, BLOCK_N)`);
  k.push(`    if WIDE:`);
  k.push(`        # a tensor of 2^31 elements or more: 64-bit offsets`);
  k.push(`        offs_m = offs_m.to(tl.int64)`);
  k.push(`        offs_n = offs_n.to(tl.int64)`);
  k.push(`    m_ok = offs_m < M`);
  k.push(`    n_ok = offs_n < COUT_G`);
  k.push(`    # each row's output pixel (last spatial dimension fastest)`);
  k.push(`    r = offs_m`);
  for (let d = S - 1; d >= 0; d--) {
    k.push(`    q${d} = r % Q${d}`);
    k.push(`    r = r // Q${d}`);
  }
  k.push(`    nb = r`);
  for (const d of dims) {
    if (phased.includes(d)) {
      k.push(`    o${d} = q${d} * ST${d} + ph${d}`);
      k.push(`    m_ok = m_ok & (o${d} < O${d})`);
    } else {
      k.push(`    o${d} = q${d}`);
    }
  }
  k.push(`    co = g * COUT_G + offs_n`);
  k.push(...(red ? gemmLoop(s, red, phased, o.geo.lowp, o.round, o.geo.kMajor) : fmaLoop(s, o.bias)));
  k.push(...epilogueLines(s, o));
  return k;
}

/** Transposed dimensions with a stride: their output pixels are split by phase (o mod stride). */
function phasedDims(s: ConvSpec): number[] {
  return s.transposed ? s.stride.flatMap((st, d) => (st > 1 ? [d] : [])) : [];
}

function header(s: ConvSpec, o: KernelOpts, phased: number[]): string[] {
  const k = [`    # ${o.what}.`];
  k.push(`    # Implicit GEMM: rows = output pixels, columns = output channels of one group, reduction k =`);
  k.push(
    o.geo.red
      ? `    # (kernel tap, input channel), gathered from the input through its strides (no im2col buffer).`
      : `    # the kernel taps of the one input channel, gathered from the input through its strides.`,
  );
  if (phased.length) {
    k.push(`    # Transposed with a stride: output pixels o of one phase (o mod stride) receive exactly the taps`);
    k.push(`    # t with (o + padding - t * dilation) divisible by the stride, every STEP-th tap from the first`);
    k.push(`    # one, so each program walks only those (no multiply by a masked-out zero).`);
  }
  if (!o.geo.red) {
    k.push(`    # Depthwise: exact fp32 FMA products (PyTorch's own depthwise kernels do the same, not cuDNN's TF32).`);
  } else if (o.geo.lowp) {
    k.push(`    # fp16/bf16 operands on the tensor cores, fp32 accumulation.`);
  } else if (o.geo.kMajor) {
    k.push(`    # Precision: TF32=True (cuDNN's TF32 default is on, on a GPU): both operands come rounded to TF32`);
    k.push(`    # (their copies round them as cuDNN does) and multiply on the tensor cores, like the eager reference;`);
    k.push(`    # TF32=False multiplies with three TF32 products (close to exact fp32), where the reference is exact fp32.`);
  } else {
    k.push(`    # Precision: TF32=True (cuDNN's TF32 default is on, on a GPU) rounds both operands to TF32 and`);
    k.push(`    # multiplies on the tensor cores, like the eager reference; TF32=False multiplies with three TF32`);
    k.push(`    # products (close to exact fp32), where the reference is exact fp32.`);
  }
  return k;
}

/** Per phased dim d: the first tap t0_d of this phase and their number n_d (every STEP_d-th tap). */
function phaseTaps(phased: number[]): string[] {
  const k: string[] = [];
  for (const d of phased) {
    k.push(`    # taps t along dim ${d} with t * DL${d} = ph${d} + PD${d} (mod ST${d})`);
    k.push(`    res${d} = (ph${d} + PD${d}) % ST${d}`);
    k.push(`    t0_${d} = KS${d}`);
    k.push(`    n${d} = 0`);
    k.push(`    for kk in tl.static_range(KS${d}):`);
    k.push(`        hit = ((kk * DL${d}) % ST${d}) == res${d}`);
    k.push(`        n${d} += tl.where(hit, 1, 0)`);
    k.push(`        t0_${d} = tl.where(hit & (t0_${d} == KS${d}), kk, t0_${d})`);
  }
  return k;
}

/**
 * The depthwise convolution's loop (one input channel per group, never transposed), in the order of
 * PyTorch's own depthwise kernel, which the eager reference runs: for each output element the bias
 * first (1-D and 2-D; PyTorch's 3-D kernel adds it last), then one fused multiply-add per kernel
 * tap in the weight's memory order, taps outside the input skipped (a masked load gives 0, and
 * fma(0, w, acc) is acc). The same order makes the same fp32 roundings, so a TF32 layer after it
 * (KernelBench 86's depthwise-separable pair) rounds the same intermediate values as eager's.
 */
function fmaLoop(s: ConvSpec, bias: boolean): string[] {
  const S = s.S;
  const dims = Array.from({ length: S }, (_, d) => d);
  const k: string[] = [];
  for (const d of dims) k.push(`    h${d} = o${d} * ST${d} - PD${d}`);
  k.push(`    x_row = nb * sx_n + g * C_IN_G * sx_c + ${dims.map((d) => `h${d} * sx_${d}`).join(" + ")}`);
  k.push(`    w_col = co * sw_o`);
  k.push(biasFirst(s, bias)
    ? `    acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.float32) + tl.load(bias_ptr + co, mask=n_ok, other=0.0).to(tl.float32)[None, :]  # bias first`
    : `    acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.float32)`);
  let pad = "    ";
  for (const d of dims) {
    k.push(`${pad}for kp${d} in tl.static_range(KS${d}):`);
    pad += "    ";
  }
  k.push(`${pad}ok = m_ok${dims.map((d) => ` & (h${d} + kp${d} * DL${d} >= 0) & (h${d} + kp${d} * DL${d} < I${d})`).join("")}`);
  k.push(`${pad}xv = tl.load(x_ptr + x_row + ${dims.map((d) => `kp${d} * DL${d} * sx_${d}`).join(" + ")}, mask=ok, other=0.0).to(tl.float32)`);
  k.push(`${pad}wv = tl.load(w_ptr + w_col + ${dims.map((d) => `kp${d} * sw_${d}`).join(" + ")}, mask=n_ok, other=0.0).to(tl.float32)`);
  k.push(`${pad}acc = tl.fma(xv[:, None], wv[None, :], acc)`);
  return k;
}

/** Whether the bias starts the depthwise sum (PyTorch's 1-D and 2-D depthwise kernels) rather than ending it. */
function biasFirst(s: ConvSpec, bias: boolean): boolean {
  return bias && !s.transposed && s.S <= 2;
}

function epilogueLines(s: ConvSpec, o: KernelOpts): string[] {
  const dims = Array.from({ length: s.S }, (_, d) => d);
  const k: string[] = [];
  if (o.extras) k.push(`    mask = m_ok[:, None] & n_ok[None, :]`);
  const pix = (pre: string) => [`nb * ${pre}n`, ...dims.map((d) => `o${d} * ${pre}${d}`)].join(" + ");
  k.push(`    c = acc`);
  if (o.bias && !(!o.geo.red && biasFirst(s, o.bias))) k.push(`    c = c + tl.load(bias_ptr + co, mask=n_ok, other=0.0).to(tl.float32)[None, :]  # bias`);
  const loaded = new Map<string, LoadedValue>();
  const extIds = o.epilogue ? o.epilogue.externals : [];
  extIds.forEach((id, j) => {
    const { ty, suffix } = loadSuffix(o.b.meta(id).dtype);
    k.push(`    ev${j} = tl.load(e${j}_ptr + (${pix(`e${j}_s`)})[:, None] + co[None, :] * e${j}_sc, mask=mask)${suffix}  # ${id}`);
    loaded.set(id, { code: `ev${j}`, ty });
  });
  let result: LoadedValue = { code: "c", ty: "f" };
  if (o.epilogue) {
    k.push(`    # epilogue: ${o.epilogue.nodes.map((x) => x.op).join(" -> ")} on the tile while it is in registers`);
    loaded.set(o.nodeId, result);
    const body = groupBody(o.epilogue, loaded, "    ");
    k.push(...body.lines);
    result = body.result;
  }
  const outDtype = o.epilogue ? o.epilogue.root.dtype! : null;
  k.push(`    c_row = ${pix("sc_")}`);
  // Triton's coalescing picks the fastest axis of a store by the pointers' provable contiguity and,
  // on a tie (computed pixel offsets prove none), takes the first axis: output pixels go first
  k.push(`    # stored as [BLOCK_M, BLOCK_N]: output pixels along the fast axis across threads, neighbouring addresses, so the stores coalesce`);
  k.push(`    tl.store(c_ptr + c_row[:, None] + co[None, :] * sc_c, ${result.code}${outDtype ? storeCast(outDtype) : ".to(c_ptr.dtype.element_ty)"}, mask=m_ok[:, None] & n_ok[None, :])`);
  return k;
}

/** The constexpr keyword arguments of a launch: kernel sizes, strides, padding, dilation per dim. */
function convConstArgs(s: ConvSpec): string {
  return Array.from({ length: s.S }, (_, d) => `KS${d}=${s.kernel[d]}, ST${d}=${s.stride[d]}, PD${d}=${s.padLo[d]}, DL${d}=${s.dilation[d]}`).join(", ");
}
