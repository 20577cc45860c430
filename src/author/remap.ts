import { argNames, floatLit, floatText, ident, pyList } from "./codegen.js";
import type { ModuleBuilder } from "./builder.js";
import { isRef, refId, type Arg, type GraphNode } from "./graph.js";
import { UnsupportedOp } from "./pointwise-ops.js";
import { emitScan, type ScanStep } from "./scan.js";

/**
 * Operators that move elements without arithmetic: flip, roll, pad (constant, reflect, replicate,
 * circular), cat, and the fills (zeros_like, full, ...). One copy kernel each: an output
 * element's coordinates map to the input's (reversed along flipped dimensions, shifted and
 * folded along padded ones), the load is masked where the source lies outside the input (the pad
 * value). Every kernel writes through the output's strides, so a part of a `cat` is written into
 * the concatenation in place. Sizes are read from the tensors at call time; offsets are 64-bit
 * when a tensor has 2^31 elements or more (decided per call).
 */
export const REMAP_OPS = new Set(["flip", "roll", "pad", "constant_pad_nd", "reflection_pad1d", "reflection_pad2d", "reflection_pad3d", "replication_pad1d", "replication_pad2d", "replication_pad3d", "cat"]);
export const FILL_OPS = new Set(["zeros_like", "ones_like", "full_like", "zeros", "ones", "full", "new_zeros", "new_ones", "new_full", "empty_like", "empty"]);

type DimMap = { kind: "id" } | { kind: "flip" } | { kind: "roll"; shift: number } | { kind: "pad"; mode: string; before: number };

function num(a: Arg | undefined, fallback: number): number {
  if (a === undefined || a === null) return fallback;
  if (typeof a === "number") return a;
  if (typeof a === "boolean") return a ? 1 : 0;
  if (typeof a === "object" && !Array.isArray(a) && "float" in a) return floatText(a.float);
  return NaN;
}

/** The kernel: out[o] = in[map(o)] (or the fill value where map(o) is outside the input). */
function remapKernel(name: string, rank: number, dims: DimMap[] | null, fill: number, what: string): string {
  const hasIn = dims !== null;
  const params = ["in_ptr", "out_ptr", "n", ...argNames("O", rank), ...argNames("I", rank), ...argNames("is", rank), ...argNames("os", rank), "WIDE: tl.constexpr", "BLOCK: tl.constexpr"];
  const k = [`@triton.jit`, `def ${name}(${params.join(", ")}):`, `    # ${what}`];
  k.push(`    pid = tl.program_id(0)`);
  k.push(`    if WIDE:`, `        offs = pid.to(tl.int64) * BLOCK + tl.arange(0, BLOCK)`, `    else:`, `        offs = pid * BLOCK + tl.arange(0, BLOCK)`);
  k.push(`    mask = offs < n`);
  k.push(`    rem = offs`);
  for (let d = rank - 1; d >= 0; d--) {
    k.push(d > 0 ? `    o${d} = rem % O${d}` : `    o0 = rem`);
    if (d > 0) k.push(`    rem = rem // O${d}`);
  }
  const outOff = rank ? Array.from({ length: rank }, (_, d) => `o${d} * os${d}`).join(" + ") : "offs * 0";
  if (!hasIn) {
    k.push(`    tl.store(out_ptr + ${outOff}, tl.full([BLOCK], ${fillLit(fill)}, out_ptr.dtype.element_ty), mask=mask)`);
    return k.join("\n");
  }
  k.push(`    ok = mask`);
  dims.forEach((m, d) => {
    if (m.kind === "id") k.push(`    i${d} = o${d}`);
    else if (m.kind === "flip") k.push(`    i${d} = I${d} - 1 - o${d}`);
    // % keeps the dividend's sign (C's rule): the shifted index is folded back into [0, I)
    else if (m.kind === "roll") k.push(`    i${d} = ((o${d} - ${m.shift}) % I${d} + I${d}) % I${d}`);
    else {
      k.push(`    i${d} = o${d} - ${m.before}`);
      if (m.mode === "constant") k.push(`    ok = ok & (i${d} >= 0) & (i${d} < I${d})`);
      else if (m.mode === "reflect") k.push(`    i${d} = tl.abs(i${d})`, `    i${d} = (I${d} - 1) - tl.abs((I${d} - 1) - i${d})`);
      else if (m.mode === "replicate") k.push(`    i${d} = tl.minimum(tl.maximum(i${d}, 0), I${d} - 1)`);
      else k.push(`    i${d} = (i${d} % I${d} + I${d}) % I${d}`);
    }
  });
  const inOff = rank ? Array.from({ length: rank }, (_, d) => `i${d} * is${d}`).join(" + ") : "offs * 0";
  k.push(`    v = tl.load(in_ptr + ${inOff}, mask=ok)`);
  const padded = dims.some((m) => m.kind === "pad" && m.mode === "constant");
  const val = padded ? `tl.where(ok, v.to(out_ptr.dtype.element_ty), ${fillLit(fill)})` : `v`;
  k.push(`    tl.store(out_ptr + ${outOff}, ${val}.to(out_ptr.dtype.element_ty), mask=mask)`);
  return k.join("\n");
}

/** The fill value as a literal of its kind: an integer stays one (exact in int64 outputs; a float literal would pass it through fp32). */
function fillLit(fill: number): string {
  return Number.isSafeInteger(fill) ? String(fill) : floatLit(fill);
}

/** Python lines launching a remap kernel from `src` (or none: a fill) into the view `dst`. */
function launch(b: ModuleBuilder, name: string, src: string | null, dst: string, indent = ""): void {
  const s = src ?? dst;
  b.line(`${indent}if ${dst}.numel() > 0:`);
  b.line(`${indent}    ${name}[(triton.cdiv(${dst}.numel(), 1024),)](${s}, ${dst}, ${dst}.numel(), *${dst}.shape, *${s}.shape, *${s}.stride(), *${dst}.stride(), WIDE=max(${s}.numel(), ${dst}.numel()) >= 2**31, BLOCK=1024)`);
}

function srcOf(n: GraphNode): string {
  const a = n.args[0];
  if (a === undefined || !isRef(a)) throw new UnsupportedOp(n.op, "an input that is not a tensor");
  return refId(a);
}

export function emitFlip(b: ModuleBuilder, n: GraphNode): void {
  const id = srcOf(n);
  const rank = b.meta(id).shape.length;
  const flipped = (Array.isArray(n.args[1]) ? n.args[1] : [n.args[1]]).map((d) => ((Number(d) % rank) + rank) % rank);
  const dims: DimMap[] = Array.from({ length: rank }, (_, d) => (flipped.includes(d) ? { kind: "flip" } : { kind: "id" }));
  emitMove(b, n, id, dims, `flip along dims ${JSON.stringify(flipped)}`, "out[..., o, ...] = in[..., I - 1 - o, ...]");
}

/** One copy kernel from `id` into a new tensor of its shape, each dimension mapped by `dims`. */
function emitMove(b: ModuleBuilder, n: GraphNode, id: string, dims: DimMap[], what: string, how: string): void {
  const name = b.kernelName(n.op);
  b.kernels.push(remapKernel(name, dims.length, dims, 0, `${what}: ${how}`));
  const x = b.val(id);
  const out = `v_${ident(n.id)}`;
  b.line(`# ${what}: one copy kernel`);
  b.line(`${out} = torch.empty(${x}.shape, device=${x}.device, dtype=${x}.dtype)`);
  launch(b, name, x, out);
  b.setVal(n.id, out);
}

/** torch.roll along given dims (capture writes a roll of the flattened tensor as one along dim 0 of its flat view). */
export function emitRoll(b: ModuleBuilder, n: GraphNode): void {
  const id = srcOf(n);
  const rank = b.meta(id).shape.length;
  const list = (a: Arg | undefined): number[] => (Array.isArray(a) ? a.map(Number) : a === undefined || a === null ? [] : [Number(a)]);
  const shifts = list(n.args[1]);
  const along = list(n.args[2] ?? n.kwargs["dims"]).map((d) => ((d % rank) + rank) % rank);
  if (!along.length || along.length !== shifts.length || shifts.some((x) => !Number.isInteger(x))) {
    throw new UnsupportedOp(n.op, `shifts ${JSON.stringify(n.args[1])} over dims ${JSON.stringify(n.args[2] ?? null)}`);
  }
  // a dim named twice rolls by the sum of its shifts
  const total = new Map<number, number>();
  along.forEach((d, j) => total.set(d, (total.get(d) ?? 0) + shifts[j]!));
  const dims: DimMap[] = Array.from({ length: rank }, (_, d) => (total.has(d) ? { kind: "roll", shift: total.get(d)! } : { kind: "id" }));
  emitMove(b, n, id, dims, `roll by ${JSON.stringify([...total.values()])} along dims ${JSON.stringify([...total.keys()])}`, "out[..., o, ...] = in[..., (o - shift) mod I, ...]");
}

function padSpec(n: GraphNode): { pads: number[]; mode: string; value: number } {
  const pads = Array.isArray(n.args[1]) ? n.args[1].map(Number) : [];
  if (n.op.startsWith("reflection")) return { pads, mode: "reflect", value: 0 };
  if (n.op.startsWith("replication")) return { pads, mode: "replicate", value: 0 };
  if (n.op === "constant_pad_nd") return { pads, mode: "constant", value: num(n.args[2], 0) };
  const mode = typeof n.args[2] === "string" ? n.args[2] : String(n.kwargs["mode"] ?? "constant");
  return { pads, mode, value: num(n.args[3] ?? n.kwargs["value"], 0) };
}

export function emitPad(b: ModuleBuilder, n: GraphNode): void {
  const id = srcOf(n);
  const rank = b.meta(id).shape.length;
  const { pads, mode, value } = padSpec(n);
  if (!["constant", "reflect", "replicate", "circular"].includes(mode)) throw new UnsupportedOp(n.op, `pad mode ${mode}`);
  if (pads.length % 2 || pads.length / 2 > rank || pads.some((p) => !Number.isInteger(p))) throw new UnsupportedOp(n.op, `pads ${JSON.stringify(pads)}`);
  if (mode !== "constant" && pads.some((p) => p < 0)) throw new UnsupportedOp(n.op, `negative ${mode} padding`);
  const dims: DimMap[] = Array.from({ length: rank }, () => ({ kind: "id" }));
  const sizes = Array.from({ length: rank }, (_, d) => `x_${ident(n.id)}.shape[${d}]`);
  for (let j = 0; j < pads.length / 2; j++) {
    const d = rank - 1 - j;
    dims[d] = { kind: "pad", mode, before: pads[2 * j]! };
    sizes[d] = `${sizes[d]} + ${pads[2 * j]! + pads[2 * j + 1]!}`;
  }
  const name = b.kernelName("pad");
  b.kernels.push(remapKernel(name, rank, dims, value, `${mode} padding ${JSON.stringify(pads)} (last dimension first)${mode === "constant" ? `, value ${value}` : ""}`));
  const out = `v_${ident(n.id)}`;
  b.line(`# pad ${JSON.stringify(pads)} (${mode}): one copy kernel`);
  const x = `x_${ident(n.id)}`;
  b.line(`${x} = ${b.val(id)}`);
  b.line(`${out} = torch.empty((${sizes.join(", ")}${rank === 1 ? "," : ""}), device=${x}.device, dtype=torch.${n.dtype})`);
  launch(b, name, x, out);
  b.setVal(n.id, out);
}

export function fillValue(n: GraphNode): number {
  if (n.op.includes("zeros") || n.op.startsWith("empty")) return 0;
  if (n.op.includes("ones")) return 1;
  const raw = n.op === "new_full" ? n.args[2] : n.args[1] ?? n.kwargs["fill_value"];
  // non-finite constants come as text: {"float": "inf"}
  if (typeof raw === "object" && raw !== null && !Array.isArray(raw) && "float" in raw) return floatText(raw.float);
  const v = num(raw, NaN);
  if (Number.isNaN(v)) throw new UnsupportedOp(n.op, `a fill value it cannot read (${JSON.stringify(raw)})`);
  return v;
}

function fillKernel(b: ModuleBuilder, n: GraphNode, rank: number): string {
  const name = b.kernelName("fill");
  b.kernels.push(remapKernel(name, rank, null, fillValue(n), `${n.op}: every element ${fillValue(n)}`));
  return name;
}

/** Shape of a fill's result: a `_like`'s source's shape at call time, else the captured one. */
function fillShape(b: ModuleBuilder, n: GraphNode): string {
  const src = n.args[0];
  if (n.op.endsWith("_like") && src !== undefined && isRef(src)) return `${b.val(refId(src))}.shape`;
  return pyList(n.shape!);
}

export function emitFill(b: ModuleBuilder, n: GraphNode): void {
  const name = fillKernel(b, n, n.shape!.length);
  const out = `v_${ident(n.id)}`;
  b.line(`${out} = torch.empty(${fillShape(b, n)}, device=${b.device()}, dtype=torch.${n.dtype})`);
  launch(b, name, null, out);
  b.setVal(n.id, out);
}

/** A part of a cat: copied, filled in place, or written in place by the scan that produces it. */
export type CatPart = { kind: "copy"; id: string } | { kind: "fill"; node: GraphNode } | { kind: "scan"; step: ScanStep };

export function emitCat(b: ModuleBuilder, n: GraphNode, list: CatPart[]): void {
  const rank = n.shape!.length;
  const dim = ((Number(n.args[1] ?? n.kwargs["dim"] ?? 0) % rank) + rank) % rank;
  const out = `v_${ident(n.id)}`;
  // local names of their own, so that no input of forward is shadowed
  const local = (x: string): string => `${x}_${ident(n.id)}`;
  const [parts, off, part, src] = [local("parts"), local("off"), local("part"), local("src")];
  const shapeOf = (p: CatPart): string => (p.kind === "copy" ? `${b.val(p.id)}.shape` : p.kind === "fill" ? fillShape(b, p.node) : pyList(p.step.node.shape!));
  b.line(`# cat along dim ${dim}: each part written into its slice of the result`);
  b.line(`${parts} = [${list.map(shapeOf).join(", ")}]`);
  // PyTorch skips 1-D empty parts (legacy); every other part has the result's rank
  b.line(`${parts} = [p for p in ${parts} if len(p) == ${rank}]`);
  b.line(`${out} = torch.empty((*${parts}[0][:${dim}], sum(p[${dim}] for p in ${parts}), *${parts}[0][${dim + 1}:]), device=${b.device()}, dtype=torch.${n.dtype})`);
  b.line(`${off} = 0`);
  let copyName: string | null = null;
  for (const p of list) {
    b.line(`${part} = ${out}.narrow(${dim}, ${off}, ${shapeOf(p)}[${dim}]) if len(${shapeOf(p)}) == ${rank} else None`);
    if (p.kind === "scan") {
      emitScan(b, p.step, part);
    } else if (p.kind === "fill") {
      const name = fillKernel(b, p.node, rank);
      b.line(`if ${part} is not None:`);
      launch(b, name, null, part, "    ");
    } else {
      copyName ??= b.kernelName("copy");
      if (!b.kernels.some((k) => k.includes(`def ${copyName}(`))) b.kernels.push(remapKernel(copyName, rank, Array.from({ length: rank }, () => ({ kind: "id" })), 0, "copy of a part of a cat into its slice"));
      b.line(`if ${part} is not None:`);
      b.line(`    ${src} = ${b.val(p.id)}`);
      launch(b, copyName, src, part, "    ");
    }
    b.line(`${off} += ${part}.shape[${dim}] if ${part} is not None else 0`);
  }
  b.setVal(n.id, out);
}
