import { argNames, dotStrides, floatLit, ident, nextPow2, numel, pyList, torchDtype, unravel } from "./codegen.js";
import { groupBody, loadSuffix, storeCast, type LoadedValue, type ModuleBuilder } from "./builder.js";
import { K_MAJOR_HELPER } from "./matmul-relay.js";
import { gpuConfigs, ieeeTiles, matvecSplit, splitK, tiles, type Tile } from "./matmul-tiles.js";
import { isRef, refId, type Arg, type GraphNode } from "./graph.js";
import type { PwGroup } from "./plan.js";
import { UnsupportedOp } from "./pointwise-ops.js";

/**
 * Matrix products (mm, matmul, bmm, linear, addmm) as one tiled kernel with the bias and any
 * pointwise chain that follows fused into the epilogue. Operands are read through their strides,
 * so transposed operands (x @ w.T, a.transpose(1, 2)) cost no copy; batch dimensions broadcast with
 * stride 0. Accumulation is always fp32. fp32 inputs use input_precision="tf32x3": each operand
 * is split into a TF32 high part and a TF32 remainder and three tensor-core products are summed
 * (hi*hi + hi*lo + lo*hi), which keeps close to fp32 accuracy (relative error about 2e-7 at
 * K=4096 on the H200; plain TF32 keeps only 10 mantissa bits) at several times the speed of fp32 FMA
 * products; their operands are re-laid K-major first where they are not (`matmul-relay.ts`).
 * fp16/bf16 inputs use the tensor cores directly with fp32 accumulation. Tiles are autotuned on a GPU
 * among a few Hopper configurations (`matmul-tiles.ts`) and walked in grouped order so that programs
 * running together share operand tiles in L2. Matrix-vector products have their own kernel, shaped
 * for memory bandwidth (`emitMatvec`).
 */

interface MatmulSpec {
  a: string;
  /** Python view of B as [..., K, N] */
  bView: (val: (id: string) => string) => string;
  b: string;
  bias: string | null;
  alpha: number;
  beta: number;
  batch: number[];
  M: number;
  N: number;
  K: number;
}

function ref(a: Arg | undefined): string {
  if (a === undefined || !isRef(a)) throw new UnsupportedOp("matmul", "an operand that is not a tensor");
  return refId(a);
}

function spec(b: ModuleBuilder, n: GraphNode): MatmulSpec {
  const out = n.shape!;
  const M = out[out.length - 2]!;
  const N = out[out.length - 1]!;
  const batch = out.slice(0, -2);
  switch (n.op) {
    case "linear": {
      const a = ref(n.args[0]);
      const w = ref(n.args[1]);
      const bias = n.args[2] !== undefined && n.args[2] !== null ? ref(n.args[2]) : null;
      return { a, b: w, bView: (v) => `${v(w)}.t()`, bias, alpha: 1, beta: 1, batch, M, N, K: b.meta(a).shape.at(-1)! };
    }
    case "addmm": {
      const a = ref(n.args[1]);
      const m2 = ref(n.args[2]);
      const beta = Number(n.kwargs["beta"] ?? 1);
      const alpha = Number(n.kwargs["alpha"] ?? 1);
      return { a, b: m2, bView: (v) => v(m2), bias: ref(n.args[0]), alpha, beta, batch, M, N, K: b.meta(a).shape.at(-1)! };
    }
    default: {
      const a = ref(n.args[0]);
      const m2 = ref(n.args[1]);
      return { a, b: m2, bView: (v) => v(m2), bias: null, alpha: 1, beta: 1, batch, M, N, K: b.meta(a).shape.at(-1)! };
    }
  }
}

/** What every product kernel shares: names, operands, the epilogue's inputs, the output. */
interface Product {
  sp: MatmulSpec;
  node: GraphNode;
  epilogue: PwGroup | null;
  name: string;
  what: string;
  lowp: boolean;
  wide: boolean;
  /** the bias, then the epilogue's external inputs, each read as a view on the output */
  extra: string[];
  outDtype: string;
  outVar: string;
  /** a triu/tril of the product, applied at the store: which side it keeps, and its diagonal */
  triangle: { op: "triu" | "tril"; diagonal: number } | null;
}

/** Python for the autotuner's configurations: every one on a GPU, the first under the interpreter. */
const MM_CONFIGS_HELPER = `def _mm_configs(gpu):
    # (BLOCK_M, BLOCK_N, BLOCK_K, warps, stages): on a GPU the autotuner times each once per shape;
    # Triton's interpreter (no GPU) runs the first, the tile chosen from the shape
    chosen = gpu if torch.cuda.is_available() else gpu[:1]
    return [triton.Config({"BLOCK_M": m, "BLOCK_N": n, "BLOCK_K": k}, num_warps=w, num_stages=s) for m, n, k, w, s in chosen]`;

export function emitMatmul(b: ModuleBuilder, node: GraphNode, epilogue: PwGroup | null, triangle: GraphNode | null = null): void {
  const sp = spec(b, node);
  const out = node.shape!;
  const aMeta = b.meta(sp.a);
  const bMeta = b.meta(sp.b);
  const lowp = new Set([aMeta.dtype, bMeta.dtype]).size === 1 && (aMeta.dtype === "float16" || aMeta.dtype === "bfloat16");
  const ext = epilogue ? epilogue.externals : [];
  const finalId = triangle ? triangle.id : epilogue ? epilogue.root.id : node.id;
  // K-major copies pad K to 16 (matmul-relay.ts), so offsets are sized for the padded operands
  const padK = Math.ceil(sp.K / 16) * 16;
  const batch = numel(sp.batch);
  const wide = [numel(out), batch * sp.M * padK, batch * sp.N * padK, numel(aMeta.shape), numel(bMeta.shape)].some((n) => n >= 2 ** 31 - 1);
  const p: Product = {
    sp,
    node,
    epilogue,
    name: b.kernelName(sp.batch.length === 0 && (sp.M === 1 || sp.N === 1) ? "matvec" : "matmul"),
    what: `${node.op} ${JSON.stringify(aMeta.shape)} x ${JSON.stringify(bMeta.shape)} -> ${JSON.stringify(out)}`,
    lowp,
    wide,
    extra: [...(sp.bias ? [sp.bias] : []), ...ext],
    outDtype: epilogue ? epilogue.root.dtype! : node.dtype!,
    outVar: `v_${ident(finalId)}`,
    triangle: triangle ? { op: triangle.op === "triu" ? "triu" : "tril", diagonal: Number(triangle.kwargs["diagonal"] ?? triangle.args[1] ?? 0) } : null,
  };
  const then = epilogue ? ` with ${epilogue.nodes.map((x) => x.op).join(" -> ")} fused into the epilogue` : triangle ? `, then ${triangle.op} at the store` : "";
  b.line(`# ${p.what}${then}`);
  b.line(`${p.outVar} = torch.empty(${pyList(out)}, device=${b.device()}, dtype=${torchDtype(p.outDtype)})`);
  if (sp.batch.length === 0 && (sp.M === 1 || sp.N === 1)) emitMatvec(b, p);
  else emitTiled(b, p);
  b.setVal(finalId, p.outVar);
}

/** Wrapper lines: A and B as views on [batch..., M, K] and [batch..., K, N], fp32 ones K-major. */
function operandViews(b: ModuleBuilder, p: Product, kMajor: boolean): void {
  const { sp } = p;
  if (kMajor) b.helpers.add(K_MAJOR_HELPER);
  // A is read once per column of tiles, B once per row of tiles (128 wide)
  const km = (expr: string, kDim: number, reads: number) => (kMajor ? `_k_major(${expr}, ${kDim}, ${reads})` : expr);
  b.line(`a_v = ${km(b.val(sp.a), -1, Math.ceil(sp.N / 128))}.expand(${pyList([...sp.batch, sp.M, sp.K])})`);
  b.line(`b_v = ${km(sp.bView((id) => b.val(id)), -2, Math.ceil(sp.M / 128))}.expand(${pyList([...sp.batch, sp.K, sp.N])})`);
  p.extra.forEach((id, j) => b.line(`e${j}_v = ${b.val(id)}.expand(${pyList(p.node.shape!)})`));
}

/** The tensor-core product: a BLOCK_M x BLOCK_N tile per program, split along K when deep. */
function emitTiled(b: ModuleBuilder, p: Product): void {
  const { sp, lowp, name } = p;
  const R = sp.batch.length;
  const ieee = !lowp && b.options.fp32Products === "ieee";
  if (!lowp && !ieee) b.used.tf32x3Products = true;
  const fixed = ieee ? ieeeTiles(sp.M, sp.N, sp.K) : tiles(sp.M, sp.N, sp.K, lowp, numel(sp.batch));
  const split = R === 0 ? splitK(sp.M, sp.N, sp.K, fixed.BM, fixed.BN, fixed.BK) : null;
  // The autotuner picks the tile of a single-pass product among several when the product is large
  // enough for the choice to matter (each configuration costs a compilation, seconds for 3xTF32);
  // smaller ones, split-K and fp32 FMA keep the shape's own tile.
  const large = 2 * sp.M * sp.N * sp.K * numel(sp.batch) >= 2 ** 33;
  const tuned = split === null && !ieee ? (large ? gpuConfigs(sp.M, sp.N, sp.K, lowp, numel(sp.batch)) : [fixed]) : null;
  operandViews(b, p, !lowp && !ieee);

  const ops = ["a", "b", "c", ...p.extra.map((_, j) => `e${j}`)];
  const params = [
    ...ops.map((o) => `${o}_ptr`),
    "M",
    "N",
    "K",
    ...argNames("BS", R),
    ...argNames("a_sb", R), "a_sm", "a_sk",
    ...argNames("b_sb", R), "b_sk", "b_sn",
    ...ops.slice(2).flatMap((o) => [...argNames(`${o}_sb`, R), `${o}_sm`, `${o}_sn`]),
    ...(split ? ["p_ptr", "p_ss", "p_sm", "p_sn", "K_CHUNK"] : []),
    "BLOCK_M: tl.constexpr",
    "BLOCK_N: tl.constexpr",
    "BLOCK_K: tl.constexpr",
    "GROUP_M: tl.constexpr",
    "EVEN_K: tl.constexpr",
  ];
  const k: string[] = [];
  if (tuned) {
    b.helpers.add(MM_CONFIGS_HELPER);
    k.push(`@triton.autotune(configs=_mm_configs([${tuned.map(tuple).join(", ")}]), key=["M", "N", "K"])`);
    k.push(`@triton.heuristics({"EVEN_K": lambda args: args["K"] % args["BLOCK_K"] == 0})`);
  }
  k.push(`@triton.jit`);
  k.push(`def ${name}(${params.join(", ")}):`);
  k.push(`    # ${p.what}${p.epilogue ? `, then ${p.epilogue.nodes.map((x) => x.op).join(" -> ")} in the epilogue` : ""}.`);
  if (split) {
    k.push(`    # Split K: program (tile, s) walks the s-th K_CHUNK of K in BLOCK_K steps and writes its fp32`);
    k.push(`    # partial tile to P[s]; ${name}_sum adds the partials and applies the bias and epilogue.`);
  } else {
    k.push(`    # One program computes a BLOCK_M x BLOCK_N tile of C, walking K in BLOCK_K steps.`);
  }
  k.push(`    pid = tl.program_id(0)`);
  k.push(`    num_pid_m = tl.cdiv(M, BLOCK_M)`);
  k.push(`    num_pid_n = tl.cdiv(N, BLOCK_N)`);
  k.push(`    # grouped order: programs that run together share rows of A and columns of B in L2`);
  k.push(`    num_pid_in_group = GROUP_M * num_pid_n`);
  k.push(`    group_id = pid // num_pid_in_group`);
  k.push(`    first_pid_m = group_id * GROUP_M`);
  k.push(`    group_size_m = tl.minimum(num_pid_m - first_pid_m, GROUP_M)`);
  k.push(`    pid_m = first_pid_m + ((pid % num_pid_in_group) % group_size_m)`);
  k.push(`    pid_n = (pid % num_pid_in_group) // group_size_m`);
  if (R > 0) {
    k.push(`    # batch coordinates (broadcast batch dimensions have stride 0)`);
    k.push(p.wide ? `    bid = tl.program_id(1).to(tl.int64)` : `    bid = tl.program_id(1)`);
    k.push(...unravel("bid", "bb", "BS", R, "    "));
    for (const o of ops) k.push(`    ${o}_base = ${dotStrides("bb", `${o}_sb`, R)}`);
  } else {
    for (const o of ops) k.push(`    ${o}_base = 0`);
  }
  const cast = p.wide ? ".to(tl.int64)" : "";
  k.push(`    offs_m = (pid_m * BLOCK_M + tl.arange(0, BLOCK_M))${cast}`);
  k.push(`    offs_n = (pid_n * BLOCK_N + tl.arange(0, BLOCK_N))${cast}`);
  // 64-bit k too when wide: k * stride reaches M * K for a K-major B
  k.push(`    ks = tl.arange(0, BLOCK_K)${cast}`);
  if (split) {
    k.push(`    pid_s = tl.program_id(2)${cast}`);
    k.push(`    k_lo = pid_s * K_CHUNK`);
    k.push(`    k_len = tl.minimum(K - k_lo, K_CHUNK)`);
    k.push(`    offs_k = k_lo + ks`);
  } else {
    k.push(`    k_len = K`);
    k.push(`    offs_k = ks`);
    if (p.triangle) k.push(...skipZeroTiles(p.triangle));
  }
  k.push(`    # rows/columns past the edge wrap around (their results are masked at the store)`);
  k.push(`    a_ptrs = a_ptr + a_base + (offs_m % M)[:, None] * a_sm + offs_k[None, :] * a_sk`);
  k.push(`    b_ptrs = b_ptr + b_base + offs_k[:, None] * b_sk + (offs_n % N)[None, :] * b_sn`);
  // Deep fp32 products: each K block's product is exact to fp32, and the blocks are summed in fp64,
  // so thousands of block sums do not round worse than cuBLAS does (partials are fp64 too).
  const wideAcc = split !== null && !lowp;
  k.push(`    acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.float${wideAcc ? "64" : "32"})`);
  k.push(`    # whole BLOCK_K blocks without masks (their loads pipeline without predicates), then, when K`);
  k.push(`    # is not a multiple of BLOCK_K, the last partial block masked (wholly masked where k_len is one)`);
  k.push(`    for kk in range(0, k_len // BLOCK_K):`);
  k.push(`        a = tl.load(a_ptrs)`);
  k.push(`        b = tl.load(b_ptrs)`);
  k.push(...dotLines(lowp, ieee, wideAcc, b.meta(sp.a).dtype));
  k.push(`        a_ptrs += BLOCK_K * a_sk`);
  k.push(`        b_ptrs += BLOCK_K * b_sk`);
  k.push(`    if not EVEN_K:`);
  k.push(`        k_mask = ks < k_len % BLOCK_K`);
  k.push(`        a = tl.load(a_ptrs, mask=k_mask[None, :], other=0.0)`);
  k.push(`        b = tl.load(b_ptrs, mask=k_mask[:, None], other=0.0)`);
  k.push(...dotLines(lowp, ieee, wideAcc, b.meta(sp.a).dtype).filter((l) => !l.trimStart().startsWith("#")));
  k.push(`    mask = (offs_m < M)[:, None] & (offs_n < N)[None, :]`);

  const args = [
    "a_v",
    "b_v",
    p.outVar,
    ...p.extra.map((_, j) => `e${j}_v`),
    String(sp.M),
    String(sp.N),
    String(sp.K),
    ...sp.batch.map(String),
    "*a_v.stride()",
    "*b_v.stride()",
    `*${p.outVar}.stride()`,
    ...p.extra.map((_, j) => `*e${j}_v.stride()`),
  ];
  if (split) {
    k.push(`    tl.store(p_ptr + pid_s * p_ss + offs_m[:, None] * p_sm + offs_n[None, :] * p_sn, acc, mask=mask)`);
    b.kernels.push(k.join("\n"));
    const pVar = `p_${ident(p.outVar)}`;
    const pType = `torch.float${lowp ? "32" : "64"}`;
    b.line(`# split K: ${split.split} chunks of ${split.chunk} into fp${lowp ? "32" : "64"} partials, then a fixed-order sum`);
    b.line(`${pVar} = torch.empty(${pyList([split.split, sp.M, sp.N])}, device=${b.device()}, dtype=${pType})`);
    b.line(`grid = (${Math.ceil(sp.M / fixed.BM) * Math.ceil(sp.N / fixed.BN)}, 1, ${split.split})`);
    b.line(`${name}[grid](${args.join(", ")}, ${pVar}, *${pVar}.stride(), ${split.chunk}, ${launchConsts(fixed, sp.K)})`);
    emitSum(b, p, pVar, split.split, sp.M, sp.N, p.outVar, p.extra.map((_, j) => `e${j}_v`));
    return;
  }
  k.push(...epilogueLines(b, p));
  b.kernels.push(k.join("\n"));
  if (tuned) {
    b.line(`grid = lambda meta: (triton.cdiv(${sp.M}, meta["BLOCK_M"]) * triton.cdiv(${sp.N}, meta["BLOCK_N"]), ${numel(sp.batch)})`);
    b.line(`${name}[grid](${args.join(", ")}, GROUP_M=8)`);
  } else {
    b.line(`grid = (${Math.ceil(sp.M / fixed.BM) * Math.ceil(sp.N / fixed.BN)}, ${numel(sp.batch)})`);
    b.line(`${name}[grid](${args.join(", ")}, ${launchConsts(fixed, sp.K)})`);
  }
}

/** A tile wholly on the zeroed side of a triu/tril diagonal walks no K: its product is all zeros. */
function skipZeroTiles(t: { op: "triu" | "tril"; diagonal: number }): string[] {
  // triu zeroes column - row < d, so a tile goes when even its largest column - row does; tril mirrors it
  const cond =
    t.op === "triu"
      ? `(pid_n * BLOCK_N + BLOCK_N - 1) - pid_m * BLOCK_M < ${t.diagonal}`
      : `pid_n * BLOCK_N - (pid_m * BLOCK_M + BLOCK_M - 1) > ${t.diagonal}`;
  return [`    # ${t.op}: a tile wholly ${t.op === "triu" ? "below" : "above"} diagonal ${t.diagonal} is zeros, computed without a product`, `    k_len = tl.where(${cond}, 0, K)`];
}

function tuple(t: Tile): string {
  return `(${t.BM}, ${t.BN}, ${t.BK}, ${t.warps}, ${t.stages})`;
}

function launchConsts(t: Tile, K: number): string {
  return `BLOCK_M=${t.BM}, BLOCK_N=${t.BN}, BLOCK_K=${t.BK}, GROUP_M=8, EVEN_K=${K % t.BK === 0 ? "True" : "False"}, num_warps=${t.warps}, num_stages=${t.stages}`;
}

/** One BLOCK_K step's product into acc (indented for the K loop). */
function dotLines(lowp: boolean, ieee: boolean, wideAcc: boolean, dtype: string): string[] {
  if (lowp) return [`        # ${dtype} operands on the tensor cores, fp32 accumulator`, `        acc = tl.dot(a, b, acc)`];
  const precision = ieee ? "ieee" : "tf32x3";
  const why = ieee
    ? `        # fp32 FMA products summed in k order (the exact-fp32 variant: slower, matches cuBLAS's order)`
    : `        # fp32: three TF32 tensor-core products (hi*hi + hi*lo + lo*hi) give close to fp32 accuracy`;
  const dot = wideAcc
    ? `        acc += tl.dot(a.to(tl.float32), b.to(tl.float32), input_precision="${precision}").to(tl.float64)`
    : `        acc = tl.dot(a.to(tl.float32), b.to(tl.float32), acc, input_precision="${precision}")`;
  return [why, dot];
}

/**
 * The epilogue on a [BLOCK_M, BLOCK_N] tile `acc` under `mask` (offs_m, offs_n in scope): alpha,
 * the bias, the fused pointwise chain, one store to C.
 */
function epilogueLines(b: ModuleBuilder, p: Product): string[] {
  const { sp, epilogue } = p;
  const e: string[] = [];
  const loaded = new Map<string, LoadedValue>();
  p.extra.forEach((id, j) => {
    const { ty, suffix } = loadSuffix(b.meta(id).dtype);
    e.push(`    ev${j} = tl.load(e${j}_ptr + e${j}_base + offs_m[:, None] * e${j}_sm + offs_n[None, :] * e${j}_sn, mask=mask)${suffix}  # ${id}`);
    loaded.set(id, { code: `ev${j}`, ty });
  });
  let v = sp.alpha === 1 ? "acc" : `acc * ${floatLit(sp.alpha)}`;
  if (sp.bias) v = `${v} + ${sp.beta === 1 ? "ev0" : `ev0 * ${floatLit(sp.beta)}`}`;
  e.push(`    c = ${v}${sp.bias ? "  # bias" : ""}`);
  if (p.triangle) {
    const { op, diagonal } = p.triangle;
    e.push(`    # ${op}: keep the elements ${op === "triu" ? "on and above" : "on and below"} diagonal ${diagonal}, zero the rest`);
    e.push(`    c = tl.where((offs_n[None, :] - offs_m[:, None]) ${op === "triu" ? ">=" : "<="} ${diagonal}, c, 0.0)`);
  }
  let result: LoadedValue = { code: "c", ty: "f" };
  if (epilogue) {
    e.push(`    # epilogue: ${epilogue.nodes.map((x) => x.op).join(" -> ")} on the tile while it is in registers`);
    loaded.set(p.node.id, result);
    const body = groupBody(epilogue, loaded, "    ");
    e.push(...body.lines);
    result = body.result;
  }
  e.push(`    tl.store(c_ptr + c_base + offs_m[:, None] * c_sm + offs_n[None, :] * c_sn, ${result.code}${storeCast(p.outDtype)}, mask=mask)`);
  return e;
}

/**
 * The summing kernel of a split product: C = sum over s of P[s] in fixed order, then the epilogue.
 * `c` and `externals` are the Python views it writes and reads, [M, N] like P[s].
 */
function emitSum(b: ModuleBuilder, p: Product, pVar: string, split: number, M: number, N: number, c: string, externals: string[]): void {
  const ops = ["c", ...p.extra.map((_, j) => `e${j}`)];
  const e: string[] = [];
  e.push(`@triton.jit`);
  e.push(`def ${p.name}_sum(p_ptr, p_ss, p_sm, p_sn, ${ops.map((o) => `${o}_ptr`).join(", ")}, M, N, ${ops.map((o) => `${o}_sm, ${o}_sn`).join(", ")}, SPLIT: tl.constexpr, BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr):`);
  e.push(`    # C tile = sum over s of P[s] (fixed order, in P's precision), then bias and epilogue, cast to C's dtype.`);
  e.push(`    offs_m = tl.program_id(0) * BLOCK_M + tl.arange(0, BLOCK_M)`);
  e.push(`    offs_n = tl.program_id(1) * BLOCK_N + tl.arange(0, BLOCK_N)`);
  e.push(`    mask = (offs_m < M)[:, None] & (offs_n < N)[None, :]`);
  e.push(`    p_ptrs = p_ptr + offs_m[:, None] * p_sm + offs_n[None, :] * p_sn`);
  e.push(`    acc = tl.load(p_ptrs, mask=mask, other=0.0)`);
  e.push(`    for s in range(1, SPLIT):`);
  e.push(`        acc += tl.load(p_ptrs + s * p_ss, mask=mask, other=0.0)`);
  for (const o of ops) e.push(`    ${o}_base = 0`);
  e.push(...epilogueLines(b, p));
  b.kernels.push(e.join("\n"));
  const SBN = Math.min(64, Math.max(16, nextPow2(N)));
  const SBM = Math.min(nextPow2(M), Math.max(1, 1024 / SBN));
  const args = [pVar, `*${pVar}.stride()`, c, ...externals, String(M), String(N), `*${c}.stride()`, ...externals.map((x) => `*${x}.stride()`)];
  b.line(`${p.name}_sum[(${Math.ceil(M / SBM)}, ${Math.ceil(N / SBN)})](${args.join(", ")}, SPLIT=${split}, BLOCK_M=${SBM}, BLOCK_N=${SBN}, num_warps=4)`);
}

/**
 * A matrix-vector product (N = 1, or M = 1 as the transposed product C^T = B^T A^T) is bound by
 * reading the matrix once, so it gets no tensor cores and no tiles over N: each program reads
 * BLOCK_M rows of one K chunk in wide loads along the matrix's contiguous dimension (16 x 256 tiles
 * when that is K, 128 x 32 when it is M), multiplies by the vector's chunk with exact fp32 products
 * summed lane-wise, then as a tree, and writes one partial per row and chunk; the summing kernel
 * adds the chunks in fixed order (in fp64 for fp32 inputs) and applies the bias and epilogue.
 */
function emitMatvec(b: ModuleBuilder, p: Product): void {
  const { sp, name, lowp } = p;
  const cast = p.wide ? ".to(tl.int64)" : "";
  const k: string[] = [];
  k.push(`@triton.jit`);
  k.push(`def ${name}(a_ptr, v_ptr, p_ptr, M, K, a_sm, a_sk, v_sk, p_ss, p_sm, K_CHUNK, BLOCK_M: tl.constexpr, BLOCK_K: tl.constexpr):`);
  k.push(`    # ${p.what}: P[s, m] = sum over the s-th K_CHUNK of A[m, k] * v[k], one pass over A.`);
  k.push(`    offs_m = (tl.program_id(0) * BLOCK_M + tl.arange(0, BLOCK_M))${cast}`);
  k.push(`    pid_s = tl.program_id(1)${cast}`);
  k.push(`    ks = tl.arange(0, BLOCK_K)`);
  k.push(`    k_lo = pid_s * K_CHUNK`);
  k.push(`    k_len = tl.minimum(K - k_lo, K_CHUNK)`);
  k.push(`    # rows past the edge wrap around (their sums are not stored)`);
  k.push(`    a_ptrs = a_ptr + (offs_m % M)[:, None] * a_sm + (k_lo + ks)[None, :] * a_sk`);
  k.push(`    v_ptrs = v_ptr + (k_lo + ks) * v_sk`);
  k.push(`    acc = tl.zeros((BLOCK_M, BLOCK_K), dtype=tl.float32)`);
  k.push(`    for kk in range(0, k_len // BLOCK_K):`);
  k.push(`        acc += tl.load(a_ptrs).to(tl.float32) * tl.load(v_ptrs).to(tl.float32)[None, :]`);
  k.push(`        a_ptrs += BLOCK_K * a_sk`);
  k.push(`        v_ptrs += BLOCK_K * v_sk`);
  k.push(`    if k_len % BLOCK_K != 0:`);
  k.push(`        k_mask = ks < k_len % BLOCK_K`);
  k.push(`        acc += tl.load(a_ptrs, mask=k_mask[None, :], other=0.0).to(tl.float32) * tl.load(v_ptrs, mask=k_mask, other=0.0).to(tl.float32)[None, :]`);
  k.push(`    tl.store(p_ptr + pid_s * p_ss + offs_m * p_sm, tl.sum(acc, axis=1).to(tl.float${lowp ? "32" : "64"}), mask=offs_m < M)`);
  b.kernels.push(k.join("\n"));

  operandViews(b, p, false);
  // N = 1: rows of A times the column b; M = 1: C^T = B^T a^T, rows of B^T times the row a
  const byRows = sp.N === 1;
  const L = byRows ? sp.M : sp.N;
  const mat = byRows ? "a_v" : "b_v.t()";
  const vec = byRows ? "b_v.stride(0)" : "a_v.stride(1)";
  const { split, chunk } = matvecSplit(L, sp.K);
  const pVar = `p_${ident(p.outVar)}`;
  const t = (x: string) => (byRows ? x : `${x}.t()`);
  b.line(`${pVar} = torch.empty(${pyList([split, L, 1])}, device=${b.device()}, dtype=torch.float${lowp ? "32" : "64"})`);
  b.line(`mv_tile = (16, 256) if ${mat}.stride(1) == 1 else (128, 32)  # wide loads along the contiguous dimension`);
  b.line(`${name}[(triton.cdiv(${L}, mv_tile[0]), ${split})](${mat}, ${byRows ? "b_v" : "a_v"}, ${pVar}, ${L}, ${sp.K}, *${mat}.stride(), ${vec}, ${pVar}.stride(0), ${pVar}.stride(1), ${chunk}, BLOCK_M=mv_tile[0], BLOCK_K=mv_tile[1], num_warps=4)`);
  emitSum(b, p, pVar, split, L, 1, t(p.outVar), p.extra.map((_, j) => t(`e${j}_v`)));
}
