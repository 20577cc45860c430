import { argNames, dotStrides, floatLit, ident, nextPow2, numel, pyList, torchDtype, unravel } from "./codegen.js";
import { groupBody, loadSuffix, storeCast, type LoadedValue, type ModuleBuilder } from "./builder.js";
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
 * products. fp16/bf16 inputs use the tensor cores directly with fp32 accumulation. Tiles are sized
 * for Hopper (128x128 or 128x256, 8 warps, 3 pipeline stages) and walked in grouped order so that
 * programs running together share operand tiles in L2.
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

function broadcast(a: number[], b: number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    out.push(x === 1 ? y : x);
  }
  return out;
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

export function emitMatmul(b: ModuleBuilder, node: GraphNode, epilogue: PwGroup | null): void {
  const sp = spec(b, node);
  const R = sp.batch.length;
  const out = node.shape!;
  const aMeta = b.meta(sp.a);
  const bMeta = b.meta(sp.b);
  const dtypes = new Set([aMeta.dtype, bMeta.dtype]);
  const lowp = dtypes.size === 1 && (aMeta.dtype === "float16" || aMeta.dtype === "bfloat16");
  const ext = epilogue ? epilogue.externals : [];
  const extra = [...(sp.bias ? [sp.bias] : []), ...ext];
  const name = b.kernelName("matmul");
  const wide = [out, aMeta.shape, bMeta.shape].some((s) => numel(s) >= 2 ** 31 - 1);
  const ieee = !lowp && b.options.fp32Products === "ieee";
  const { BM, BN, BK, warps, stages } = ieee ? ieeeTiles(sp.M, sp.N, sp.K) : tiles(sp.M, sp.N, sp.K, lowp);
  const split = R === 0 ? splitK(sp.M, sp.N, sp.K, BM, BN, BK) : null;

  const ops = ["a", "b", "c", ...extra.map((_, j) => `e${j}`)];
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
  const what = `${node.op} ${JSON.stringify(aMeta.shape)} x ${JSON.stringify(bMeta.shape)} -> ${JSON.stringify(out)}`;
  k.push(`@triton.jit`);
  k.push(`def ${name}(${params.join(", ")}):`);
  k.push(`    # ${what}${epilogue ? `, then ${epilogue.nodes.map((x) => x.op).join(" -> ")} in the epilogue` : ""}.`);
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
    k.push(wide ? `    bid = tl.program_id(1).to(tl.int64)` : `    bid = tl.program_id(1)`);
    k.push(...unravel("bid", "bb", "BS", R, "    "));
    for (const o of ops) {
      const sb = o === "a" ? "a_sb" : o === "b" ? "b_sb" : `${o}_sb`;
      k.push(`    ${o}_base = ${dotStrides("bb", sb, R)}`);
    }
  } else {
    for (const o of ops) k.push(`    ${o}_base = 0`);
  }
  const cast = wide ? ".to(tl.int64)" : "";
  k.push(`    offs_m = (pid_m * BLOCK_M + tl.arange(0, BLOCK_M))${cast}`);
  k.push(`    offs_n = (pid_n * BLOCK_N + tl.arange(0, BLOCK_N))${cast}`);
  if (split) {
    k.push(`    pid_s = tl.program_id(2)`);
    k.push(`    k_lo = pid_s * K_CHUNK`);
    k.push(`    offs_k = (k_lo + tl.arange(0, BLOCK_K))${cast}`);
  } else {
    // 64-bit too when wide: k * stride reaches M * K for a K-major (transposed) operand
    k.push(`    offs_k = tl.arange(0, BLOCK_K)${cast}`);
  }
  k.push(`    # rows/columns past the edge wrap around (their results are masked at the store)`);
  k.push(`    a_ptrs = a_ptr + a_base + (offs_m % M)[:, None] * a_sm + offs_k[None, :] * a_sk`);
  k.push(`    b_ptrs = b_ptr + b_base + offs_k[:, None] * b_sk + (offs_n % N)[None, :] * b_sn`);
  // Deep fp32 products: each K block's product is exact to fp32, and the blocks are summed in fp64,
  // so thousands of block sums do not round worse than cuBLAS does (partials are fp64 too).
  const wideAcc = split !== null && !lowp;
  k.push(`    acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.float${wideAcc ? "64" : "32"})`);
  if (split) {
    k.push(`    # K_CHUNK is a multiple of BLOCK_K, so only the last chunk can end inside a block`);
    k.push(`    for kk in range(0, tl.cdiv(tl.minimum(K - k_lo, K_CHUNK), BLOCK_K)):`);
  } else {
    k.push(`    for kk in range(0, tl.cdiv(K, BLOCK_K)):`);
  }
  k.push(`        if EVEN_K:`);
  k.push(`            # K is a multiple of BLOCK_K: no mask, so the loads pipeline without predicates`);
  k.push(`            a = tl.load(a_ptrs)`);
  k.push(`            b = tl.load(b_ptrs)`);
  k.push(`        else:`);
  k.push(`            k_mask = offs_k < K - kk * BLOCK_K`);
  k.push(`            a = tl.load(a_ptrs, mask=k_mask[None, :], other=0.0)`);
  k.push(`            b = tl.load(b_ptrs, mask=k_mask[:, None], other=0.0)`);
  if (lowp) {
    k.push(`        # ${aMeta.dtype} operands on the tensor cores, fp32 accumulator`);
    k.push(`        acc = tl.dot(a, b, acc)`);
  } else {
    const precision = ieee ? "ieee" : "tf32x3";
    if (ieee) {
      k.push(`        # fp32 FMA products summed in k order (the exact-fp32 variant: slower, matches cuBLAS's order)`);
    } else {
      k.push(`        # fp32: three TF32 tensor-core products (hi*hi + hi*lo + lo*hi) give close to fp32 accuracy`);
    }
    if (wideAcc) {
      k.push(`        acc += tl.dot(a.to(tl.float32), b.to(tl.float32), input_precision="${precision}").to(tl.float64)`);
    } else {
      k.push(`        acc = tl.dot(a.to(tl.float32), b.to(tl.float32), acc, input_precision="${precision}")`);
    }
  }
  k.push(`        a_ptrs += BLOCK_K * a_sk`);
  k.push(`        b_ptrs += BLOCK_K * b_sk`);
  k.push(`    mask = (offs_m < M)[:, None] & (offs_n < N)[None, :]`);
  let e = k;
  if (split) {
    k.push(`    tl.store(p_ptr + pid_s * p_ss + offs_m[:, None] * p_sm + offs_n[None, :] * p_sn, acc, mask=mask)`);
    b.kernels.push(k.join("\n"));
    // the sum kernel: the same tile of C, its partials added in fixed split order, then the epilogue
    e = [];
    e.push(`@triton.jit`);
    e.push(`def ${name}_sum(p_ptr, p_ss, p_sm, p_sn, ${ops.slice(2).map((o) => `${o}_ptr`).join(", ")}, M, N, ${ops.slice(2).map((o) => `${o}_sm, ${o}_sn`).join(", ")}, SPLIT: tl.constexpr, BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr):`);
    e.push(`    # C tile = sum over s of P[s] (fixed order, fp32), then bias and epilogue, cast to C's dtype.`);
    e.push(`    offs_m = tl.program_id(0) * BLOCK_M + tl.arange(0, BLOCK_M)`);
    e.push(`    offs_n = tl.program_id(1) * BLOCK_N + tl.arange(0, BLOCK_N)`);
    e.push(`    mask = (offs_m < M)[:, None] & (offs_n < N)[None, :]`);
    e.push(`    p_ptrs = p_ptr + offs_m[:, None] * p_sm + offs_n[None, :] * p_sn`);
    e.push(`    acc = tl.load(p_ptrs, mask=mask, other=0.0)`);
    e.push(`    for s in range(1, SPLIT):`);
    e.push(`        acc += tl.load(p_ptrs + s * p_ss, mask=mask, other=0.0)`);
    for (const o of ops.slice(2)) e.push(`    ${o}_base = 0`);
  }
  const loaded = new Map<string, LoadedValue>();
  extra.forEach((id, j) => {
    const { ty, suffix } = loadSuffix(b.meta(id).dtype);
    e.push(`    ev${j} = tl.load(e${j}_ptr + e${j}_base + offs_m[:, None] * e${j}_sm + offs_n[None, :] * e${j}_sn, mask=mask)${suffix}  # ${id}`);
    loaded.set(id, { code: `ev${j}`, ty });
  });
  let v = sp.alpha === 1 ? "acc" : `acc * ${floatLit(sp.alpha)}`;
  if (sp.bias) v = `${v} + ${sp.beta === 1 ? "ev0" : `ev0 * ${floatLit(sp.beta)}`}`;
  e.push(`    c = ${v}${sp.bias ? "  # bias" : ""}`);
  let result: LoadedValue = { code: "c", ty: "f" };
  if (epilogue) {
    e.push(`    # epilogue: ${epilogue.nodes.map((x) => x.op).join(" -> ")} on the tile while it is in registers`);
    loaded.set(node.id, result);
    const body = groupBody(epilogue, loaded, "    ");
    e.push(...body.lines);
    result = body.result;
  }
  const outDtype = epilogue ? epilogue.root.dtype! : node.dtype!;
  e.push(`    tl.store(c_ptr + c_base + offs_m[:, None] * c_sm + offs_n[None, :] * c_sn, ${result.code}${storeCast(outDtype)}, mask=mask)`);
  b.kernels.push(e.join("\n"));

  // wrapper: every operand as a view on [batch..., M, N] (or [batch..., M, K], [batch..., K, N])
  const finalId = epilogue ? epilogue.root.id : node.id;
  const outVar = `v_${ident(finalId)}`;
  b.line(`# ${what}${epilogue ? ` with ${epilogue.nodes.map((x) => x.op).join(" -> ")} fused into the epilogue` : ""}`);
  b.line(`${outVar} = torch.empty(${pyList(out)}, device=${b.device()}, dtype=${torchDtype(outDtype)})`);
  const aBatch = broadcast(sp.batch, []);
  b.line(`a_v = ${b.val(sp.a)}.expand(${pyList([...aBatch, sp.M, sp.K])})`);
  b.line(`b_v = ${sp.bView((id) => b.val(id))}.expand(${pyList([...aBatch, sp.K, sp.N])})`);
  extra.forEach((id, j) => b.line(`e${j}_v = ${b.val(id)}.expand(${pyList(out)})`));
  const args = [
    "a_v",
    "b_v",
    outVar,
    ...extra.map((_, j) => `e${j}_v`),
    String(sp.M),
    String(sp.N),
    String(sp.K),
    ...sp.batch.map(String),
    "*a_v.stride()",
    "*b_v.stride()",
    `*${outVar}.stride()`,
    ...extra.map((_, j) => `*e${j}_v.stride()`),
  ];
  const gridM = Math.ceil(sp.M / BM) * Math.ceil(sp.N / BN);
  const consts = `BLOCK_M=${BM}, BLOCK_N=${BN}, BLOCK_K=${BK}, GROUP_M=8, EVEN_K=${sp.K % BK === 0 ? "True" : "False"}, num_warps=${warps}, num_stages=${stages}`;
  if (split) {
    const pVar = `p_${ident(finalId)}`;
    b.line(`# split K: ${split.split} chunks of ${split.chunk} into fp${lowp ? "32" : "64"} partials, then a fixed-order sum`);
    b.line(`${pVar} = torch.empty(${pyList([split.split, sp.M, sp.N])}, device=${b.device()}, dtype=torch.float${lowp ? "32" : "64"})`);
    b.line(`grid = (${gridM}, 1, ${split.split})`);
    b.line(`${name}[grid](${args.join(", ")}, ${pVar}, *${pVar}.stride(), ${split.chunk}, ${consts})`);
    const SBN = Math.min(64, Math.max(16, nextPow2(sp.N)));
    const SBM = Math.min(nextPow2(sp.M), Math.max(1, 1024 / SBN));
    const sumArgs = [pVar, `*${pVar}.stride()`, outVar, ...extra.map((_, j) => `e${j}_v`), String(sp.M), String(sp.N), `*${outVar}.stride()`, ...extra.map((_, j) => `*e${j}_v.stride()`)];
    b.line(`${name}_sum[(${Math.ceil(sp.M / SBM)}, ${Math.ceil(sp.N / SBN)})](${sumArgs.join(", ")}, SPLIT=${split.split}, BLOCK_M=${SBM}, BLOCK_N=${SBN}, num_warps=4)`);
  } else {
    b.line(`grid = (${gridM}, ${numel(sp.batch)})`);
    b.line(`${name}[grid](${args.join(", ")}, ${consts})`);
  }
  b.setVal(finalId, outVar);
}

/**
 * Split-K for deep products: one sequential fp32 chain over all of K rounds worse than cuBLAS as K
 * grows (K=131072 missed the tolerance by 25x on the H200), and a deep product with a small output
 * leaves most multiprocessors idle. Split when K is deep for its output (K >= 8192 and fewer than two
 * tiles per SM) or deep outright (K >= 16384), into chunks of about 4096 (at most 64 of them; a
 * multiple of BLOCK_K so only the last chunk ends inside a block). Batched products are not split.
 */
export function splitK(M: number, N: number, K: number, BM: number, BN: number, BK: number): { split: number; chunk: number } | null {
  const SMS = 132;
  const outTiles = Math.ceil(M / BM) * Math.ceil(N / BN);
  if (!(K >= 16384 || (K >= 8192 && outTiles < 2 * SMS))) return null;
  const want = Math.min(64, Math.ceil(K / 4096));
  const chunk = Math.ceil(Math.ceil(K / want) / BK) * BK;
  const split = Math.ceil(K / chunk);
  return split >= 2 ? { split, chunk } : null;
}

/** The fp32 FMA path's tiles (64x64x32, 4 warps): larger ones only add register pressure there. */
function ieeeTiles(M: number, N: number, K: number): { BM: number; BN: number; BK: number; warps: number; stages: number } {
  const cap = (x: number, hi: number) => Math.max(16, Math.min(hi, nextPow2(x)));
  return { BM: cap(M, 64), BN: cap(N, 64), BK: cap(K, 32), warps: 4, stages: 3 };
}

/**
 * Tile sizes from the problem's shape, measured on the H200 (4096^3 fp32, 8192^3 fp16): fp32
 * (tf32x3) is fastest at 128x128x64 with 8 warps (92 TFLOP/s; 128x256 and 256x128 run at half that); fp16/bf16 at
 * 128x256x64 with 8 warps and 3 stages (670 TFLOP/s). Smaller matrices get tiles no wider than
 * needed, and tiles shrink until the grid has at least one program per multiprocessor.
 */
export function tiles(M: number, N: number, K: number, lowp: boolean): { BM: number; BN: number; BK: number; warps: number; stages: number } {
  const cap = (x: number, hi: number) => Math.max(16, Math.min(hi, nextPow2(x)));
  let BM = cap(M, 128);
  let BN = cap(N, lowp ? 256 : 128);
  const BK = cap(K, 64);
  const SMS = 132;
  while (BN > 64 && Math.ceil(M / BM) * Math.ceil(N / BN) < SMS) BN /= 2;
  while (BM > 64 && Math.ceil(M / BM) * Math.ceil(N / BN) < SMS) BM /= 2;
  return { BM, BN, BK, warps: BM * BN >= 128 * 128 ? 8 : 4, stages: 3 };
}
