import { argNames, dotStrides, ident, needsWideIndex, numel, pyList, torchDtype, unravel } from "./codegen.js";
import { loadSuffix, storeCast, type ModuleBuilder } from "./builder.js";
import { isRef, refId, type GraphNode } from "./graph.js";
import { UnsupportedOp } from "./pointwise-ops.js";

/**
 * Operators whose value at an element depends on where the element is, not only on its inputs:
 * triu and tril (keep the elements on one side of a diagonal of the last two dimensions, zero the
 * rest) and diag of a vector (the vector on a diagonal of a square matrix). One elementwise kernel
 * each: the output's coordinates are computed from the flat index and compared to the diagonal.
 */
export const INDEXED_OPS = new Set(["triu", "tril", "diag"]);

function offsetArg(n: GraphNode): number {
  const k = n.kwargs["diagonal"] ?? n.args[1] ?? 0;
  if (typeof k !== "number") throw new UnsupportedOp(n.op, `a diagonal offset that is not a number (${JSON.stringify(k)})`);
  return k;
}

export function emitIndexed(b: ModuleBuilder, n: GraphNode): void {
  const src = n.args[0];
  if (src === undefined || !isRef(src)) throw new UnsupportedOp(n.op, "an input that is not a tensor");
  const id = refId(src);
  const inMeta = b.meta(id);
  const k = offsetArg(n);
  if (n.op === "diag" && inMeta.shape.length === 2) {
    // the diagonal of a matrix is a strided view of it; diag returns its own copy
    const out = `v_${ident(n.id)}`;
    b.line(`${out} = ${b.val(id)}.diagonal(${k}).clone()  # diag of a matrix (a copy of its diagonal)`);
    b.setVal(n.id, out);
    return;
  }
  const shape = n.shape!;
  const rank = shape.length;
  if (rank < 2) throw new UnsupportedOp(n.op, "an output of rank < 2");
  if (n.op === "diag" && inMeta.shape.length !== 1) throw new UnsupportedOp(n.op, `an input of rank ${inMeta.shape.length}`);
  const name = b.kernelName(n.op);
  const wide = needsWideIndex([shape, inMeta.shape]);
  const r = `i${rank - 2}`;
  const c = `i${rank - 1}`;
  const { suffix } = loadSuffix(inMeta.dtype);
  const k0: string[] = [];
  k0.push(`@triton.jit`);
  k0.push(`def ${name}(in_ptr, out_ptr, n_elements, ${[...argNames("S", rank), ...argNames("in_s", n.op === "diag" ? 1 : rank)].join(", ")}, BLOCK: tl.constexpr):`);
  k0.push(`    pid = tl.program_id(0)`);
  k0.push(wide ? `    offs = pid.to(tl.int64) * BLOCK + tl.arange(0, BLOCK)` : `    offs = pid * BLOCK + tl.arange(0, BLOCK)`);
  k0.push(`    mask = offs < n_elements`);
  k0.push(...unravel("offs", "i", "S", rank, "    "));
  if (n.op === "diag") {
    k0.push(`    # diag of a vector: element (r, c) is in[r] (in[c] below the main diagonal) on diagonal ${k}, else 0`);
    k0.push(`    on = (${c} - ${r}) == ${k}`);
    k0.push(`    x = tl.load(in_ptr + ${k >= 0 ? r : c} * in_s0, mask=mask & on, other=0.0)${suffix}`);
    k0.push(`    y = tl.where(on, x, 0.0)`);
  } else {
    const keep = n.op === "triu" ? `(${c} - ${r}) >= ${k}` : `(${c} - ${r}) <= ${k}`;
    k0.push(`    # ${n.op}: keep the elements ${n.op === "triu" ? "on and above" : "on and below"} diagonal ${k} of the last two dimensions`);
    k0.push(`    keep = ${keep}`);
    k0.push(`    x = tl.load(in_ptr + ${dotStrides("i", "in_s", rank)}, mask=mask & keep, other=0.0)${suffix}`);
    k0.push(`    y = tl.where(keep, x, 0.0)`);
  }
  k0.push(`    tl.store(out_ptr + offs, y${storeCast(n.dtype!)}, mask=mask)`);
  b.kernels.push(k0.join("\n"));

  const out = `v_${ident(n.id)}`;
  const total = numel(shape);
  const view = n.op === "diag" ? b.val(id) : `${b.val(id)}.expand(${pyList(shape)})`;
  b.line(`# ${n.op}: one elementwise kernel over shape ${JSON.stringify(shape)}`);
  b.line(`${out} = torch.empty(${pyList(shape)}, device=${b.device()}, dtype=${torchDtype(n.dtype!)})`);
  b.line(`src = ${view}`);
  b.line(`${name}[(triton.cdiv(${total}, 1024),)](src, ${out}, ${total}, ${shape.join(", ")}, *src.stride(), BLOCK=1024)`);
  b.setVal(n.id, out);
}
