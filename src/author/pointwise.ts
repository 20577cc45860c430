import { argNames, dotStrides, ident, needsWideIndex, numel, pyList, torchDtype, unravel } from "./codegen.js";
import { groupBody, loadSuffix, storeCast, type LoadedValue, type ModuleBuilder } from "./builder.js";
import type { PwGroup } from "./plan.js";

/**
 * A chain of elementwise operators as one kernel: every operand is read once, the whole chain runs
 * in registers, the result is written once. Sibling chains (same shape, a common input, results
 * that only leave the graph) share the kernel: one read of the common input, one write per result.
 *
 * The output gets the layout eager PyTorch gives it (the captured strides: a transposed input gives
 * a transposed output), and the kernel walks the elements in the output's memory order, so the
 * stores are contiguous and an input laid out like the output is read contiguously too. Operands
 * are read through their own strides after broadcasting (stride 0 along broadcast dimensions), so
 * transposed, sliced or broadcast inputs need no copy. Sizes are compile-time constants, so the
 * index arithmetic of a strided operand is multiplications and shifts, not divisions.
 */
export function emitPointwise(b: ModuleBuilder, groups: PwGroup[]): void {
  const first = groups[0]!;
  const shape = first.root.shape!;
  const rank = shape.length;
  const perm = memoryOrder(shape, first.root.strides ?? null);
  const identity = perm.every((d, i) => d === i);
  const pshape = perm.map((d) => shape[d]!);
  const name = b.kernelName("pointwise");
  const ins: string[] = [];
  for (const g of groups) for (const id of g.externals) if (!ins.includes(id)) ins.push(id);
  const wide = needsWideIndex([shape, ...ins.map((i) => b.meta(i).shape)]);
  const chains = groups.map((g) => g.nodes.map((n) => n.op).join(" -> "));
  const ops = chains.join(" | ");

  const params = [
    ...ins.map((_, j) => `in${j}_ptr`),
    ...groups.map((_, o) => `out${o}_ptr`),
    "n_elements",
    ...argNames("S", rank).map((x) => `${x}: tl.constexpr`),
    ...ins.flatMap((_, j) => argNames(`in${j}_s`, rank)),
    "BLOCK: tl.constexpr",
    "CONTIG: tl.constexpr",
  ];
  const k: string[] = [];
  k.push(`@triton.jit`);
  k.push(`def ${name}(${params.join(", ")}):`);
  k.push(groups.length > 1 ? `    # Fused elementwise chains with ${groups.length} outputs: ${ops}.` : `    # Fused elementwise chain: ${ops}.`);
  k.push(`    # Memory traffic: each operand read once, each result written once; nothing in between.`);
  k.push(`    # The flat index runs over the output${groups.length > 1 ? "s" : ""} in memory order${identity ? "" : ` (dimensions ${JSON.stringify(perm)} of the logical shape)`}.`);
  k.push(`    pid = tl.program_id(0)`);
  k.push(wide ? `    offs = pid.to(tl.int64) * BLOCK + tl.arange(0, BLOCK)` : `    offs = pid * BLOCK + tl.arange(0, BLOCK)`);
  k.push(`    mask = offs < n_elements`);
  const loaded = new Map<string, LoadedValue>();
  if (ins.length > 0) {
    k.push(`    if CONTIG:`);
    k.push(`        # every operand is laid out like the output: the flat index is the offset`);
    ins.forEach((_, j) => k.push(`        in${j}_off = offs`));
    k.push(`    else:`);
    k.push(`        # split the flat index into coordinates, then apply each operand's strides`);
    k.push(`        # (stride 0 along broadcast dimensions: broadcasting costs no memory)`);
    k.push(...unravel("offs", "i", "S", rank, "        "));
    ins.forEach((_, j) => k.push(`        in${j}_off = ${rank === 0 ? "offs * 0" : dotStrides("i", `in${j}_s`, rank)}`));
  }
  ins.forEach((id, j) => {
    const { ty, suffix } = loadSuffix(b.meta(id).dtype);
    k.push(`    a${j} = tl.load(in${j}_ptr + in${j}_off, mask=mask)${suffix}  # ${id}`);
    loaded.set(id, { code: `a${j}`, ty });
  });
  groups.forEach((g, o) => {
    k.push(`    # ${chains[o]}, computed in fp32 registers`);
    const body = groupBody(g, loaded, "    ");
    k.push(...body.lines);
    k.push(`    tl.store(out${o}_ptr + offs, ${body.result.code}${storeCast(g.root.dtype!)}, mask=mask)`);
  });
  b.kernels.push(k.join("\n"));

  const n = numel(shape);
  // measured on the H200 (4096x4096 and 16384x4096): 1024 elements and 4 warps per program was the
  // fastest for 4-byte data (98% of a copy's bandwidth on 256 MiB), 2048 for 2-byte data
  const narrow = [...ins.map((id) => b.meta(id).dtype), ...groups.map((g) => g.root.dtype!)].every((d) => d === "float16" || d === "bfloat16");
  const block = narrow ? 2048 : 1024;
  const inv = perm.map((_, i) => perm.indexOf(i));
  b.line(`# ${ops}: one fused elementwise kernel over shape ${JSON.stringify(shape)}`);
  const outs = groups.map((g) => `v_${ident(g.root.id)}`);
  groups.forEach((g, o) => {
    const alloc = `torch.empty(${pyList(pshape)}, device=${b.device()}, dtype=${torchDtype(g.root.dtype!)})`;
    // allocated in memory order, then viewed back to the logical shape (eager's layout)
    b.line(identity ? `${outs[o]} = ${alloc}` : `${outs[o]} = ${alloc}.permute(${pyList(inv)})`);
  });
  ins.forEach((id, j) => b.line(`in${j} = ${b.val(id)}.expand(${pyList(shape)})${identity ? "" : `.permute(${pyList(perm)})`}`));
  const contig = ins.length ? ins.map((_, j) => `in${j}.is_contiguous()`).join(" and ") : "True";
  const args = [
    ...ins.map((_, j) => `in${j}`),
    ...outs.map((o) => (identity ? o : `${o}.permute(${pyList(perm)})`)),
    String(n),
    ...pshape.map(String),
    ...ins.map((_, j) => `*in${j}.stride()`),
  ];
  b.line(`grid = (triton.cdiv(${n}, ${block}),)`);
  b.line(`${name}[grid](${args.join(", ")}, BLOCK=${block}, CONTIG=${contig}, num_warps=4)`);
  groups.forEach((g, o) => b.setVal(g.root.id, outs[o]!));
}

/**
 * The dimensions of `shape` from slowest to fastest in memory, when `strides` describe a dense
 * layout (a permutation of a contiguous tensor); otherwise the logical order.
 */
export function memoryOrder(shape: number[], strides: number[] | null): number[] {
  const ident0 = shape.map((_, i) => i);
  if (!strides || strides.length !== shape.length) return ident0;
  // size-1 dimensions go first (their stride says nothing); the others slowest to fastest
  const ones = ident0.filter((d) => shape[d] === 1);
  const rest = ident0.filter((d) => shape[d] !== 1).sort((a, c) => strides[c]! - strides[a]! || a - c);
  const order = [...ones, ...rest];
  let expect = 1;
  for (let i = order.length - 1; i >= 0; i--) {
    const d = order[i]!;
    if (shape[d] === 1) continue;
    if (strides[d] !== expect) return ident0;
    expect *= shape[d]!;
  }
  return order;
}
