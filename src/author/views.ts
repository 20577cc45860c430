import { ident, pyList } from "./codegen.js";
import type { ModuleBuilder } from "./builder.js";
import { isRef, refId, type Arg, type GraphNode } from "./graph.js";
import { UnsupportedOp } from "./pointwise-ops.js";

/**
 * View and metadata nodes run in the wrapper as the same PyTorch call: no data moves (except
 * `contiguous`/`clone`, which copy, and `reshape`, which copies only when no view exists).
 */
function ints(a: Arg | undefined): number[] {
  if (typeof a === "number") return [a];
  if (Array.isArray(a)) return a.map((x) => Number(x));
  return [];
}

export function emitView(b: ModuleBuilder, n: GraphNode): void {
  const src = n.args[0];
  if (src === undefined || !isRef(src)) throw new UnsupportedOp(n.op, "a view of something that is not a tensor");
  const x = b.val(refId(src));
  const a = n.args;
  let e: string;
  switch (n.op) {
    case "view":
    case "_unsafe_view":
      e = `${x}.view(${pyList(n.shape!)})`;
      break;
    case "reshape":
    case "flatten":
    case "unflatten":
      e = `${x}.reshape(${pyList(n.shape!)})`;
      break;
    case "permute":
      e = `${x}.permute(${pyList(ints(a[1]))})`;
      break;
    case "transpose":
      e = `${x}.transpose(${Number(a[1])}, ${Number(a[2])})`;
      break;
    case "t":
    case "numpy_T":
    case "mT":
      e = n.shape!.length < 2 ? x : `${x}.transpose(-2, -1)`;
      break;
    case "expand":
    case "expand_as":
      e = `${x}.expand(${pyList(n.shape!)})`;
      break;
    case "unsqueeze":
      e = `${x}.unsqueeze(${Number(a[1])})`;
      break;
    case "squeeze":
    case "view_as":
      e = `${x}.view(${pyList(n.shape!)})`;
      break;
    case "contiguous":
      e = `${x}.contiguous()`;
      break;
    case "clone":
      e = `${x}.clone()`;
      break;
    case "alias":
    case "detach":
    case "dropout":
    case "native_dropout":
    case "feature_dropout":
      e = x;
      break;
    case "select":
      e = `${x}.select(${Number(a[1])}, ${Number(a[2])})`;
      break;
    case "narrow":
      e = `${x}.narrow(${Number(a[1])}, ${Number(a[2])}, ${Number(a[3])})`;
      break;
    case "slice": {
      const dim = Number(a[1] ?? 0);
      const start = a[2] === undefined || a[2] === null ? 0 : Number(a[2]);
      const end = a[3] === undefined || a[3] === null ? null : Number(a[3]);
      const step = Number(a[4] ?? 1);
      const idx = [...Array.from({ length: dim }, () => ":"), `${start}:${end === null || end > 2 ** 62 ? "" : end}:${step}`];
      e = `${x}[${idx.join(", ")}]`;
      break;
    }
    default:
      throw new UnsupportedOp(n.op, "a view the offline author does not know");
  }
  const name = `v_${ident(n.id)}`;
  b.line(`${name} = ${e}  # ${n.op} (view)`);
  b.setVal(n.id, name);
}
