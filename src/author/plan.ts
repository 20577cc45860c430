import { isRef, refId, type Arg, type CapturedGraph, type GraphNode } from "./graph.js";
import { isPointwise } from "./pointwise-ops.js";
import { INDEXED_OPS } from "./indexed.js";
import { CONV_OPS } from "./conv-spec.js";
import { isOpsNode, planOps, type OpsStep } from "./ops-plan.js";
import { planMultiReductions, rowsKey } from "./multi-reduction.js";
import { chainReads, sharesRows } from "./shared-input-reduction.js";
import { reductionSpec, splitsColumns } from "./reduction.js";
import { rowSpace } from "./rowspace.js";

/**
 * Planning: which kernels to write for a captured graph. Nodes are classified into families, then
 * fused: a chain of pointwise nodes becomes one kernel; a pointwise chain after a matmul, convolution,
 * softmax, norm or reduction becomes that kernel's epilogue; a pointwise chain feeding a reduction, softmax
 * or norm is folded into its load (prologue). View nodes run in the wrapper (metadata only).
 */

export type Family = "view" | "pointwise" | "indexed" | "reduction" | "softmax" | "norm" | "matmul" | "conv" | "getitem" | "skip" | "ops" | "unsupported";

export const REDUCTION_OPS = new Set(["sum", "mean", "amax", "amin", "max", "min", "prod", "argmax", "argmin", "var", "std", "linalg_vector_norm", "norm"]);
export const SOFTMAX_OPS = new Set(["softmax", "_softmax", "log_softmax", "_log_softmax"]);
export const NORM_OPS = new Set(["layer_norm", "rms_norm", "batch_norm", "instance_norm", "group_norm"]);
export const MATMUL_OPS = new Set(["linear", "mm", "matmul", "bmm", "addmm"]);

export interface PwGroup {
  /** the node whose value leaves the group */
  root: GraphNode;
  /** members in graph order (root last) */
  nodes: GraphNode[];
  /** values read from outside the group, in first-use order (excluding an anchor it is fused onto) */
  externals: string[];
}

export type Step =
  | { kind: "view"; node: GraphNode }
  | { kind: "pointwise"; group: PwGroup; siblings: PwGroup[] }
  | { kind: "reduction" | "softmax" | "norm"; node: GraphNode; prologue: PwGroup | null; epilogue: PwGroup | null }
  /** `triangle`: a triu/tril that is the product's only user, applied at its store */
  | { kind: "matmul"; node: GraphNode; epilogue: PwGroup | null; triangle: GraphNode | null }
  | { kind: "conv"; node: GraphNode; epilogue: PwGroup | null }
  | { kind: "indexed"; node: GraphNode }
  | { kind: "getitem"; node: GraphNode }
  | { kind: "skip"; node: GraphNode; reason: string }
  /** pooling, scans, losses, flip/pad/cat/fills (ops-plan.ts) */
  | { kind: "ops"; op: OpsStep }
  /** reductions of one input over the same dims, one kernel (multi-reduction.ts) */
  | { kind: "multireduction"; nodes: GraphNode[]; prologues: (PwGroup | null)[] };

export interface Plan {
  steps: Step[];
  /** nodes the offline author cannot write, with why */
  unsupported: { node: GraphNode; reason: string }[];
}

export function tensorRefs(args: Arg[] | Record<string, Arg>): string[] {
  const out: string[] = [];
  const visit = (a: Arg): void => {
    if (Array.isArray(a)) a.forEach(visit);
    else if (isRef(a)) out.push(refId(a));
  };
  (Array.isArray(args) ? args : Object.values(args)).forEach(visit);
  return out;
}

export function nodeRefs(n: GraphNode): string[] {
  return [...tensorRefs(n.args), ...tensorRefs(n.kwargs)];
}

function num(a: Arg | undefined): number | null {
  return typeof a === "number" ? a : null;
}

export function classify(n: GraphNode, g: CapturedGraph): { family: Family; reason?: string } {
  if (n.op === "getitem") return { family: "getitem" };
  if (n.view) return { family: "view" };
  if (n.op === "dropout" || n.op === "native_dropout" || n.op === "feature_dropout") {
    const p = num(n.args[1]);
    const train = n.args[2];
    if (p === 0 || train === false) return { family: "view" };
    return { family: "unsupported", reason: "dropout in training mode draws random numbers; the verifier cannot compare it" };
  }
  // in-place updates of buffers (BatchNorm's num_batches_tracked): bookkeeping with no output
  if (n.op.endsWith("_") && n.args[0] !== undefined && isRef(n.args[0]) && "param" in n.args[0]) {
    return { family: "skip", reason: "in-place buffer bookkeeping" };
  }
  if (isPointwise(n)) return { family: "pointwise" };
  if (INDEXED_OPS.has(n.op)) return { family: "indexed" };
  if (REDUCTION_OPS.has(n.op)) return { family: "reduction" };
  if (SOFTMAX_OPS.has(n.op)) return { family: "softmax" };
  if (NORM_OPS.has(n.op)) {
    if (n.op === "batch_norm" || n.op === "instance_norm") {
      const shape = (g.nodes.find((m) => m.id === n.id)?.shape ?? []) as number[];
      if (shape.length < 2) return { family: "unsupported", reason: "a norm over an input of rank < 2" };
    }
    return { family: "norm" };
  }
  if (MATMUL_OPS.has(n.op)) {
    // addmm's bias (its first argument) broadcasts over the product's rows, as linear's does
    const ranks = tensorRefs(n.op === "addmm" ? n.args.slice(1) : n.args).map((id) => rankOf(g, id));
    if (ranks.some((r) => r !== null && r < 2) && n.op !== "linear") {
      return { family: "unsupported", reason: "a matrix product with a 1-D operand" };
    }
    if (n.op === "linear" && (rankOf(g, tensorRefs(n.args)[0] ?? "") ?? 2) < 2) {
      return { family: "unsupported", reason: "linear on a 1-D input" };
    }
    return { family: "matmul" };
  }
  if (CONV_OPS.has(n.op)) return classifyConv(n, g);
  if (isOpsNode(n)) return { family: "ops" };
  return { family: "unsupported", reason: `no template for ${n.target}` };
}

/** Convolutions over 1-3 spatial dimensions of floating tensors (conv.ts). */
function classifyConv(n: GraphNode, g: CapturedGraph): { family: Family; reason?: string } {
  const w = tensorRefs(n.args)[1];
  const rank = w === undefined ? null : rankOf(g, w);
  if (rank === null || rank < 3 || rank > 5) return { family: "unsupported", reason: "a convolution whose weight is not a 3-D to 5-D tensor" };
  if (!n.dtype || !["float32", "float16", "bfloat16"].includes(n.dtype)) return { family: "unsupported", reason: `a convolution in ${n.dtype ?? "an unknown dtype"}` };
  return { family: "conv" };
}

export function rankOf(g: CapturedGraph, id: string): number | null {
  const v = valueMeta(g, id);
  return v ? v.shape.length : null;
}

export function valueMeta(g: CapturedGraph, id: string): { shape: number[]; dtype: string; strides: number[] } | null {
  const i = g.inputs.find((x) => x.id === id);
  if (i) return i;
  const p = g.params.find((x) => x.id === id);
  if (p) return p;
  const n = g.nodes.find((x) => x.id === id);
  if (n && n.shape && n.dtype && n.strides) return { shape: n.shape, dtype: n.dtype, strides: n.strides };
  return null;
}

function sameShape(a: number[] | null, b: number[] | null): boolean {
  return !!a && !!b && a.length === b.length && a.every((x, i) => x === b[i]);
}

export function plan(g: CapturedGraph): Plan {
  const nodes = g.nodes;
  const index = new Map(nodes.map((n, i) => [n.id, i]));
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const users = new Map<string, string[]>();
  for (const n of nodes) for (const r of nodeRefs(n)) users.set(r, [...(users.get(r) ?? []), n.id]);
  const outputs = new Set(tensorRefs(g.outputs));
  const fam = new Map<string, Family>();
  const unsupported: Plan["unsupported"] = [];
  for (const n of nodes) {
    const c = classify(n, g);
    fam.set(n.id, c.family);
    if (c.family === "unsupported") unsupported.push({ node: n, reason: c.reason ?? "unsupported" });
  }

  // 1. pointwise groups, formed from the outputs backwards: a producer joins when every one of its
  //    users is already in the group (so no intermediate has to be written to memory)
  const groupOf = new Map<string, PwGroup>();
  const groups: PwGroup[] = [];
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i]!;
    if (fam.get(n.id) !== "pointwise" || groupOf.has(n.id)) continue;
    const members = new Set([n.id]);
    const work = [...nodeRefs(n)];
    while (work.length) {
      const p = work.pop()!;
      const pn = byId.get(p);
      if (!pn || members.has(p) || groupOf.has(p) || fam.get(p) !== "pointwise" || outputs.has(p)) continue;
      if (!(users.get(p) ?? []).every((u) => members.has(u))) continue;
      members.add(p);
      work.push(...nodeRefs(pn));
    }
    const g0: PwGroup = {
      root: n,
      nodes: [...members].sort((a, b) => index.get(a)! - index.get(b)!).map((id) => byId.get(id)!),
      externals: [],
    };
    g0.externals = externalsOf(g0, null);
    for (const m of members) groupOf.set(m, g0);
    groups.push(g0);
  }

  // the values a reduction's input is computed from, as its prologue (the group ending at it) would read them
  const readsOf = (r: GraphNode): string[] => {
    const first = r.args[0];
    const id = first !== undefined && isRef(first) ? refId(first) : null;
    const grp = id === null ? undefined : groupOf.get(id);
    return chainReads(r, grp && grp.root.id === id ? grp : null);
  };
  // a group that combines a reduction with another over rows of the same shape whose input reads
  // a common value (the triplet loss's ||a - p|| and ||a - n||) is no epilogue: the two then share
  // one pass (3a) that reads that value once, and the group runs on their results after it
  const combinesSharedReductions = (n: GraphNode, grp: PwGroup): boolean =>
    sharesRows(n) &&
    grp.externals.some((e) => {
      const o = byId.get(e);
      if (!o || o.id === n.id || fam.get(o.id) !== "reduction" || !sharesRows(o)) return false;
      const key = rowsKey(g, n);
      return key !== null && key === rowsKey(g, o) && readsOf(o).some((r) => readsOf(n).includes(r));
    });

  // 2. epilogues: a group that is the only user of an anchor's output, over the same shape
  const epilogueOf = new Map<string, PwGroup>();
  const absorbed = new Set<PwGroup>();
  for (const n of nodes) {
    const f = fam.get(n.id);
    if (f !== "matmul" && f !== "conv" && f !== "softmax" && f !== "norm" && f !== "reduction") continue;
    if (outputs.has(n.id) || n.op === "group_norm" || n.shape === null) continue;
    const us = users.get(n.id) ?? [];
    const grp = us.length > 0 ? groupOf.get(us[0]!) : undefined;
    if (!grp || !us.every((u) => groupOf.get(u) === grp)) continue;
    // a group that combines two anchors (norm(a) - norm(b)) is the epilogue of the first only:
    // the second is then an ordinary input it reads
    if (absorbed.has(grp)) continue;
    if (f === "reduction" && combinesSharedReductions(n, grp)) continue;
    if (!sameShape(grp.root.shape, n.shape) && !(f === "reduction" && perRowEpilogue(g, n, grp))) continue;
    epilogueOf.set(n.id, { ...grp, externals: externalsOf(grp, n.id) });
    absorbed.add(grp);
  }

  // 3. prologues: a group whose only user is a reduction, softmax or norm reading it as its input
  const prologueOf = new Map<string, PwGroup>();
  for (const n of nodes) {
    const f = fam.get(n.id);
    if ((f !== "softmax" && f !== "norm" && f !== "reduction") || n.op === "group_norm") continue;
    const first = n.args[0];
    if (first === undefined || !isRef(first) || !("node" in first)) continue;
    const grp = groupOf.get(first.node);
    if (!grp || grp.root.id !== first.node || absorbed.has(grp)) continue;
    if ((users.get(first.node) ?? []).length !== 1) continue;
    // the input is read more than once by this node (e.g. other args): keep it materialised
    if (nodeRefs(n).filter((r) => r === first.node).length !== 1) continue;
    prologueOf.set(n.id, grp);
    absorbed.add(grp);
  }

  // 3a. reductions of one input over the same dims share one kernel (placed at the first)
  const multi = planMultiReductions(g, nodes.filter((n) => fam.get(n.id) === "reduction" && !epilogueOf.has(n.id)), prologueOf);
  // a group runs where its first member is when every value its members read exists by then (one
  // input, or inputs of the graph); else where its last member is, unless a member's result is read
  // before that (the group is then left apart)
  const multiAt = (ms: GraphNode[]): number => {
    const first = index.get(ms[0]!.id)!;
    const reads = ms.flatMap((m) => prologueOf.get(m.id)?.externals ?? nodeRefs(m).slice(0, 1));
    const ready = reads.every((r) => (index.get(r.split("#")[0]!) ?? -1) < first);
    return ready ? first : Math.max(...ms.map((m) => index.get(m.id)!));
  };
  for (const [id, ms] of multi) {
    if (ms.some((m) => (users.get(m.id) ?? []).some((u) => index.get(u)! < multiAt(ms)))) multi.delete(id);
  }
  const inMulti = new Set([...multi.values()].flat().map((n) => n.id));

  // 3b. pooling, scans, losses and element moves, with what folds into them
  const ops = planOps({ nodes, index, byId, users, outputs, groupOf, absorbed, isOps: (id) => fam.get(id) === "ops" });

  // 3c. siblings: independent groups over the same shape and layout that read a common value and
  //     whose results only leave the graph (e.g. several activations of one input) run as one
  //     kernel with several outputs, so the shared input is read once
  const siblingsOf = new Map<PwGroup, PwGroup[]>();
  const merged = new Set<PwGroup>();
  const free = groups
    .filter((g0) => !absorbed.has(g0) && (users.get(g0.root.id) ?? []).length === 0)
    .sort((a, b) => index.get(a.root.id)! - index.get(b.root.id)!);
  for (const head of free) {
    if (merged.has(head)) continue;
    const sibs: PwGroup[] = [];
    for (const g1 of free) {
      if (g1 === head || merged.has(g1) || siblingsOf.has(g1)) continue;
      if (!sameShape(g1.root.shape, head.root.shape) || !sameShape(g1.root.strides, head.root.strides)) continue;
      if (!g1.externals.some((e) => head.externals.includes(e))) continue;
      sibs.push(g1);
      merged.add(g1);
    }
    if (sibs.length) siblingsOf.set(head, sibs);
  }

  // 3d. a triu/tril that is a product's only user is applied at the product's store, and the
  //     product skips the tiles it zeroes (matrix-vector products, computed transposed when M = 1,
  //     keep it separate)
  const triangleOf = new Map<string, GraphNode>();
  for (const n of nodes) {
    if (fam.get(n.id) !== "matmul" || epilogueOf.has(n.id) || outputs.has(n.id)) continue;
    if (!n.shape || n.shape.length < 2 || n.shape.slice(-2).some((d) => d === 1)) continue;
    const us = users.get(n.id) ?? [];
    const t = us.length === 1 ? byId.get(us[0]!) : undefined;
    if (!t || (t.op !== "triu" && t.op !== "tril") || typeof (t.kwargs["diagonal"] ?? t.args[1] ?? 0) !== "number") continue;
    const src = t.args[0];
    if (src !== undefined && isRef(src) && refId(src) === n.id && sameShape(t.shape, n.shape)) triangleOf.set(n.id, t);
  }
  const folded = new Set([...triangleOf.values()].map((t) => t.id));

  // 4. steps, each placed at the node where its result becomes available
  const placed: { at: number; step: Step }[] = [];
  for (const n of nodes) {
    const f = fam.get(n.id)!;
    const at = index.get(n.id)!;
    switch (f) {
      case "view":
        placed.push({ at, step: { kind: "view", node: n } });
        break;
      case "getitem":
        placed.push({ at, step: { kind: "getitem", node: n } });
        break;
      case "skip":
        placed.push({ at, step: { kind: "skip", node: n, reason: classify(n, g).reason ?? "" } });
        break;
      case "indexed":
        if (!folded.has(n.id)) placed.push({ at, step: { kind: "indexed", node: n } });
        break;
      case "pointwise": {
        const grp = groupOf.get(n.id)!;
        if (grp.root.id !== n.id || absorbed.has(grp) || merged.has(grp)) break;
        const sibs = siblingsOf.get(grp) ?? [];
        // placed after the last sibling's root: every input of every sibling exists by then, and
        // no node reads a sibling's result (they only leave the graph)
        const last = Math.max(at, ...sibs.map((g1) => index.get(g1.root.id)!));
        placed.push({ at: last, step: { kind: "pointwise", group: grp, siblings: sibs } });
        break;
      }
      case "matmul": {
        const epi = epilogueOf.get(n.id) ?? null;
        const tri = triangleOf.get(n.id) ?? null;
        const end = epi ? index.get(epi.root.id)! : tri ? index.get(tri.id)! : at;
        placed.push({ at: end, step: { kind: "matmul", node: n, epilogue: epi, triangle: tri } });
        break;
      }
      case "conv": {
        const epi = epilogueOf.get(n.id) ?? null;
        placed.push({ at: epi ? index.get(epi.root.id)! : at, step: { kind: "conv", node: n, epilogue: epi } });
        break;
      }
      case "reduction":
        if (inMulti.has(n.id)) {
          const members = multi.get(n.id);
          if (members) placed.push({ at: multiAt(members), step: { kind: "multireduction", nodes: members, prologues: members.map((m) => prologueOf.get(m.id) ?? null) } });
          break;
        }
      // falls through
      case "softmax":
      case "norm": {
        // a log-softmax read only by an NLL loss is computed inside the loss (cross-entropy)
        if (ops.folded.has(n.id)) break;
        const epi = epilogueOf.get(n.id) ?? null;
        placed.push({ at: epi ? index.get(epi.root.id)! : at, step: { kind: f, node: n, prologue: prologueOf.get(n.id) ?? null, epilogue: epi } });
        break;
      }
      case "ops":
      case "unsupported":
        break;
    }
  }
  for (const o of ops.placed) placed.push({ at: o.at, step: { kind: "ops", op: o.step } });
  placed.sort((a, b) => a.at - b.at);
  return { steps: placed.map((p) => p.step), unsupported };
}

/**
 * A reduction whose result is broadcast back over its own input by the group (x / x.sum(1, keepdim),
 * x / sqrt(mean(x**2, 1, keepdim) + eps)): the reduction kernel applies the group to the rows it
 * has just reduced, so the input is not read once more by a separate kernel. Only where each row's
 * result lands on that row (kept dims in place), the group writes the input's shape in its default
 * layout, and the rows are not split across programs.
 */
function perRowEpilogue(g: CapturedGraph, n: GraphNode, grp: PwGroup): boolean {
  let spec;
  try {
    spec = reductionSpec(n);
  } catch {
    return false;
  }
  if (spec.tuple || spec.kind === "argmax" || spec.kind === "argmin") return false;
  const first = n.args[0];
  const m = first !== undefined && isRef(first) ? valueMeta(g, refId(first)) : null;
  const out = n.shape;
  if (!m || !out || !sameShape(grp.root.shape, m.shape) || !sameShape(grp.root.strides, contiguous(m.shape))) return false;
  const rank = m.shape.length;
  const red = (spec.dims ?? Array.from({ length: rank }, (_, i) => i)).map((d) => (d < 0 ? d + rank : d));
  // right-aligned broadcasting of the result over the input: 1 (or absent) on reduced dims, the
  // input's size on kept ones
  const lead = rank - out.length;
  if (lead < 0 || !m.shape.every((x, d) => (d < lead ? red.includes(d) : red.includes(d) ? out[d - lead] === 1 : out[d - lead] === x))) return false;
  return !splitsColumns(spec, rowSpace(m.shape, rank === 0 ? [] : red, m.strides));
}

function contiguous(shape: number[]): number[] {
  const st = shape.map(() => 1);
  for (let d = shape.length - 2; d >= 0; d--) st[d] = st[d + 1]! * Math.max(1, shape[d + 1]!);
  return st;
}

/** Values a group reads from outside itself, in first-use order. */
export function externalsOf(grp: PwGroup, anchor: string | null): string[] {
  const members = new Set(grp.nodes.map((n) => n.id));
  const out: string[] = [];
  for (const n of grp.nodes) {
    for (const r of nodeRefs(n)) {
      if (!members.has(r) && r !== anchor && !out.includes(r)) out.push(r);
    }
  }
  return out;
}
