import { isRef, refId, type GraphNode } from "./graph.js";
import type { ModuleBuilder } from "./builder.js";
import type { PwGroup } from "./plan.js";
import { POOL_OPS, emitPool } from "./pool.js";
import { SCAN_OPS, emitScan, scanDim, scanTakesFlips, type ScanStep } from "./scan.js";
import { LOSS_OPS, emitLoss } from "./cross-entropy.js";
import { FILL_OPS, REMAP_OPS, emitCat, emitFill, emitFlip, emitPad, emitRoll, type CatPart } from "./remap.js";

/**
 * Planning for pooling, scans, losses over classes and the element moves (flip, pad, cat, fills):
 * which of their neighbours fold into them. A pointwise chain feeding a scan is folded into its
 * load; flips along the scanned dimension around a scan become a reversed scan; a scan or a fill
 * that only feeds a cat writes into its part of the cat.
 */
export type OpsStep =
  | { kind: "pool" | "flip" | "roll" | "pad" | "fill"; node: GraphNode }
  /** logSoftmax: the log_softmax an NLL reads, computed inside the loss (then a cross-entropy) */
  | { kind: "loss"; node: GraphNode; logSoftmax: GraphNode | null }
  | { kind: "scan"; scan: ScanStep }
  | { kind: "cat"; node: GraphNode; parts: CatPart[] };

export function isOpsNode(n: GraphNode): boolean {
  return POOL_OPS.has(n.op) || SCAN_OPS.has(n.op) || LOSS_OPS.has(n.op) || REMAP_OPS.has(n.op) || FILL_OPS.has(n.op);
}

export interface OpsPlanContext {
  nodes: GraphNode[];
  index: Map<string, number>;
  byId: Map<string, GraphNode>;
  users: Map<string, string[]>;
  outputs: Set<string>;
  groupOf: Map<string, PwGroup>;
  /** groups folded into a kernel; scans add their prologues */
  absorbed: Set<PwGroup>;
  isOps: (id: string) => boolean;
}

/** Steps placed at graph positions, and the nodes of other families folded into them. */
export function planOps(c: OpsPlanContext): { placed: { at: number; step: OpsStep }[]; folded: Set<string> } {
  const onlyUser = (id: string, user: string): boolean => {
    const us = c.users.get(id) ?? [];
    return !c.outputs.has(id) && us.length > 0 && us.every((u) => u === user);
  };
  const absorbedNodes = new Set<string>();
  const scans = new Map<string, ScanStep>();
  for (const n of c.nodes) {
    if (!SCAN_OPS.has(n.op) || !c.isOps(n.id)) continue;
    const rank = (n.shape ?? n.outputs?.[0]?.shape ?? []).length;
    const dim = rank ? scanDim(n, rank) : 0;
    const alongDim = (f: GraphNode | undefined): boolean => {
      if (!f || f.op !== "flip") return false;
      const ds = Array.isArray(f.args[1]) ? f.args[1] : [f.args[1]];
      return ds.length === 1 && ((Number(ds[0]) % rank) + rank) % rank === dim;
    };
    const first = n.args[0];
    const inNode = first !== undefined && isRef(first) && "node" in first ? c.byId.get(first.node) : undefined;
    const flipIn = inNode && scanTakesFlips(n) && alongDim(inNode) && onlyUser(inNode.id, n.id) ? inNode : null;
    const us = c.users.get(n.id) ?? [];
    const outNode = us.length === 1 ? c.byId.get(us[0]!) : undefined;
    const flipOut = outNode && scanTakesFlips(n) && alongDim(outNode) && onlyUser(n.id, outNode.id) ? outNode : null;
    let prologue: PwGroup | null = null;
    const grp = inNode ? c.groupOf.get(inNode.id) : undefined;
    if (grp && grp.root.id === inNode!.id && !c.absorbed.has(grp) && onlyUser(inNode!.id, n.id)) {
      prologue = grp;
      c.absorbed.add(grp);
    }
    if (flipIn) absorbedNodes.add(flipIn.id);
    if (flipOut) absorbedNodes.add(flipOut.id);
    scans.set(flipOut ? flipOut.id : n.id, { node: n, prologue, flipIn, flipOut });
  }

  const placed: { at: number; step: OpsStep }[] = [];
  const inCat = new Set<string>();
  for (const n of c.nodes) {
    if (n.op !== "cat" || !c.isOps(n.id)) continue;
    const list = Array.isArray(n.args[0]) ? n.args[0] : [];
    const parts: CatPart[] = list.map((a) => {
      const id = isRef(a) ? refId(a) : "";
      const p = c.byId.get(id);
      const twice = list.filter((x) => isRef(x) && refId(x) === id).length > 1;
      if (p && !twice && onlyUser(id, n.id)) {
        if (scans.has(id)) {
          inCat.add(id);
          return { kind: "scan", step: scans.get(id)! };
        }
        if (FILL_OPS.has(p.op)) {
          absorbedNodes.add(id);
          return { kind: "fill", node: p };
        }
      }
      return { kind: "copy", id };
    });
    placed.push({ at: c.index.get(n.id)!, step: { kind: "cat", node: n, parts } });
  }
  for (const [id, scan] of scans) if (!inCat.has(id)) placed.push({ at: c.index.get(id)!, step: { kind: "scan", scan } });
  const folded = new Set<string>();
  for (const n of c.nodes) {
    if (!c.isOps(n.id) || absorbedNodes.has(n.id) || SCAN_OPS.has(n.op) || n.op === "cat") continue;
    const at = c.index.get(n.id)!;
    if (LOSS_OPS.has(n.op)) {
      const ls = nllOfLogSoftmax(c, n);
      if (ls) folded.add(ls.id);
      placed.push({ at, step: { kind: "loss", node: n, logSoftmax: ls } });
      continue;
    }
    const kind = POOL_OPS.has(n.op) ? "pool" : n.op === "flip" || n.op === "roll" ? n.op : FILL_OPS.has(n.op) ? "fill" : "pad";
    placed.push({ at, step: { kind, node: n } });
  }
  return { placed, folded };
}

/**
 * The log_softmax over the class dimension that only this NLL loss reads, when it reads the
 * input as is (no pointwise prologue folded into it): NLL of it is the cross-entropy of its input.
 */
function nllOfLogSoftmax(c: OpsPlanContext, n: GraphNode): GraphNode | null {
  if (!n.op.startsWith("nll_loss")) return null;
  const a = n.args[0];
  const ls = a !== undefined && isRef(a) && "node" in a ? c.byId.get(a.node) : undefined;
  if (!ls || (ls.op !== "log_softmax" && ls.op !== "_log_softmax") || c.outputs.has(ls.id)) return null;
  if (!(c.users.get(ls.id) ?? []).every((u) => u === n.id)) return null;
  const rank = ls.shape?.length ?? 0;
  const dim = Number(ls.args[1]);
  const classDim = rank >= 2 ? 1 : 0;
  if (rank === 0 || ((dim % rank) + rank) % rank !== classDim) return null;
  const src = ls.args[0];
  const grp = src !== undefined && isRef(src) && "node" in src ? c.groupOf.get(src.node) : undefined;
  if (grp && c.absorbed.has(grp)) return null;
  return ls;
}

export function emitOps(b: ModuleBuilder, s: OpsStep): void {
  switch (s.kind) {
    case "pool":
      return emitPool(b, s.node);
    case "loss":
      return emitLoss(b, s.node, s.logSoftmax);
    case "flip":
      return emitFlip(b, s.node);
    case "roll":
      return emitRoll(b, s.node);
    case "pad":
      return emitPad(b, s.node);
    case "fill":
      return emitFill(b, s.node);
    case "scan":
      return emitScan(b, s.scan);
    case "cat":
      return emitCat(b, s.node, s.parts);
  }
}

/** One line for `tritonize run`'s list of steps. */
export function describeOps(s: OpsStep): string {
  if (s.kind === "scan") {
    const { node, prologue, flipIn, flipOut } = s.scan;
    return `${prologue ? `prologue(${prologue.nodes.map((n) => n.op).join(" -> ")}) + ` : ""}${node.op}${flipIn || flipOut ? " (reversed)" : ""}`;
  }
  if (s.kind === "cat") return `cat(${s.parts.map((p) => (p.kind === "copy" ? "copy" : p.kind === "fill" ? p.node.op : `${p.step.node.op} in place`)).join(", ")})`;
  if (s.kind === "loss" && s.logSoftmax) return `${s.node.op} of log_softmax (one kernel: cross-entropy)`;
  return s.node.op;
}
