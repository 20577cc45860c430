import { argNames, dotStrides, ident, needsWideIndex, numel, pyList, torchDtype, unravel } from "./codegen.js";
import { groupBody, loadSuffix, storeCast, type LoadedValue, type ModuleBuilder } from "./builder.js";
import type { PwGroup } from "./plan.js";

/**
 * A chain of elementwise operators as one kernel: every operand is read once, the whole chain runs
 * in registers, the result is written once. Operands are read through their own strides after
 * broadcasting to the output shape (stride 0 along broadcast dimensions), so transposed, sliced or
 * broadcast inputs need no copy.
 */
export function emitPointwise(b: ModuleBuilder, grp: PwGroup): void {
  const root = grp.root;
  const shape = root.shape!;
  const dtype = root.dtype!;
  const rank = shape.length;
  const name = b.kernelName("pointwise");
  const ins = grp.externals;
  const wide = needsWideIndex([shape, ...ins.map((i) => b.meta(i).shape)]);
  const ops = grp.nodes.map((n) => n.op).join(" -> ");

  const params = [
    ...ins.map((_, j) => `in${j}_ptr`),
    "out_ptr",
    "n_elements",
    ...argNames("S", rank),
    ...ins.flatMap((_, j) => argNames(`in${j}_s`, rank)),
    "BLOCK: tl.constexpr",
    "CONTIG: tl.constexpr",
  ];
  const k: string[] = [];
  k.push(`@triton.jit`);
  k.push(`def ${name}(${params.join(", ")}):`);
  k.push(`    # Fused elementwise chain: ${ops}.`);
  k.push(`    # Memory traffic: each operand read once, the result written once; nothing in between.`);
  k.push(`    pid = tl.program_id(0)`);
  k.push(wide ? `    offs = pid.to(tl.int64) * BLOCK + tl.arange(0, BLOCK)` : `    offs = pid * BLOCK + tl.arange(0, BLOCK)`);
  k.push(`    mask = offs < n_elements`);
  const loaded = new Map<string, LoadedValue>();
  if (ins.length > 0) {
    k.push(`    if CONTIG:`);
    k.push(`        # every operand is laid out like the (contiguous) output: the flat index is the offset`);
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
  k.push(`    # the chain, computed in fp32 registers`);
  const body = groupBody(grp, loaded, "    ");
  k.push(...body.lines);
  k.push(`    tl.store(out_ptr + offs, ${body.result.code}${storeCast(dtype)}, mask=mask)`);
  b.kernels.push(k.join("\n"));

  const out = `v_${ident(root.id)}`;
  const n = numel(shape);
  const block = n >= 1 << 20 ? 2048 : 1024;
  b.line(`# ${ops}: one fused elementwise kernel over shape ${JSON.stringify(shape)}`);
  b.line(`${out} = torch.empty(${pyList(shape)}, device=${b.device()}, dtype=${torchDtype(dtype)})`);
  const views = ins.map((id) => `${b.val(id)}.expand(${pyList(shape)})`);
  views.forEach((v, j) => b.line(`in${j} = ${v}`));
  const contig = ins.length ? ins.map((_, j) => `in${j}.is_contiguous()`).join(" and ") : "True";
  const args = [
    ...ins.map((_, j) => `in${j}`),
    out,
    String(n),
    ...shape.map(String),
    ...ins.map((_, j) => `*in${j}.stride()`),
  ];
  b.line(`grid = (triton.cdiv(${n}, ${block}),)`);
  b.line(`${name}[grid](${args.join(", ")}, BLOCK=${block}, CONTIG=${contig}, num_warps=${block >= 2048 ? 8 : 4})`);
  b.setVal(root.id, out);
}
