import type { CapturedGraph } from "./graph.js";
import type { AuthorOptions, PrecisionsUsed } from "./builder.js";
import { otherPrecision } from "./conv-precision.js";
import { emitModule } from "./module.js";
import { describeOps } from "./ops-plan.js";
import { plan } from "./plan.js";
import { UnsupportedOp } from "./pointwise-ops.js";

/**
 * The offline author: a deterministic kernel writer behind the same interface as the model-driven
 * kernel agent. Given a captured graph it returns candidate code (a KernelBench ModelNew module),
 * or names the first operator it does not cover. The harness verifies its output like any other.
 */
export type AuthorResult =
  | {
      ok: true; author: "offline"; code: string; kernels: number; steps: string[];
      /** options for one more try should this code's numbers miss the reference, null when none differ */
      retry?: AuthorOptions | null;
    }
  | { ok: false; author: "offline"; code: "unsupported"; op: string; reason: string; line: number | null; message: string };

export interface Author {
  readonly name: string;
  write(graph: CapturedGraph): Promise<AuthorResult>;
}

export const offlineAuthor: Author = {
  name: "offline",
  async write(graph) {
    return authorOffline(graph);
  },
};

export function authorOffline(graph: CapturedGraph, options: AuthorOptions = {}): AuthorResult {
  const p = plan(graph);
  const first = p.unsupported[0];
  if (first) return unsupported(first.node.op, first.reason, first.node.line);
  try {
    const used: PrecisionsUsed = { tf32x3Products: false, conv: new Set() };
    const code = emitModule(graph, p, options, used);
    const kernels = (code.match(/^def k\d+_/gm) ?? []).length;
    const steps = p.steps.filter((s) => s.kind !== "view" && s.kind !== "getitem" && s.kind !== "skip").map(describeStep);
    return { ok: true, author: "offline", code, kernels, steps, retry: otherPrecisions(used, options) };
  } catch (e) {
    if (e instanceof UnsupportedOp) return unsupported(e.op, e.detail, null);
    throw e;
  }
}

/**
 * Where the kernels' precision is a choice about the reference's numbers, the other choice: fp32
 * products in k order instead of three TF32 products (eager's own rounding can exceed the fp32
 * tolerance on deep products with large outputs, and exact k order follows it), and a convolution's
 * other precision where the prediction of cuDNN's (conv-precision.ts) was wrong.
 */
function otherPrecisions(used: PrecisionsUsed, options: AuthorOptions): AuthorOptions | null {
  const next: AuthorOptions = { ...options };
  if (used.tf32x3Products && options.fp32Products !== "ieee") next.fp32Products = "ieee";
  const conv = [...used.conv];
  if (conv.length === 1 && !options.convPrecision) next.convPrecision = otherPrecision(conv[0]!);
  return next.fp32Products !== options.fp32Products || next.convPrecision !== options.convPrecision ? next : null;
}

function describeStep(s: ReturnType<typeof plan>["steps"][number]): string {
  switch (s.kind) {
    case "pointwise":
      return `pointwise: ${[s.group, ...s.siblings].map((g) => g.nodes.map((n) => n.op).join(" -> ")).join(" | ")}`;
    case "matmul":
      return `${s.node.op}${s.epilogue ? ` + epilogue(${s.epilogue.nodes.map((n) => n.op).join(" -> ")})` : ""}${s.triangle ? ` + ${s.triangle.op}` : ""}`;
    case "reduction":
    case "softmax":
    case "norm":
      return `${s.prologue ? `prologue(${s.prologue.nodes.map((n) => n.op).join(" -> ")}) + ` : ""}${s.node.op}${s.epilogue ? ` + epilogue(${s.epilogue.nodes.map((n) => n.op).join(" -> ")})` : ""}`;
    case "indexed":
      return s.node.op;
    case "ops":
      return describeOps(s.op);
    case "multireduction":
      return `one pass: ${s.nodes.map((n, j) => (s.prologues[j] ? `prologue(${s.prologues[j]!.nodes.map((p) => p.op).join(" -> ")}) + ${n.op}` : n.op)).join(" + ")}`;
    default:
      return s.kind;
  }
}

/** The one-line message for an operator the offline author does not write. */
export function unsupportedMessage(op: string, reason: string, line: number | null): string {
  return (
    `the offline author does not cover ${op}${line ? ` (line ${line})` : ""}: ${reason}. ` +
    `The model-driven path handles it: set OPENAI_API_KEY or ANTHROPIC_API_KEY (or OPENAI_BASE_URL for a compatible server) and TRITONIZE_MODEL, then run with --author model or --author auto.`
  );
}

function unsupported(op: string, reason: string, line: number | null): AuthorResult {
  return { ok: false, author: "offline", code: "unsupported", op, reason, line, message: unsupportedMessage(op, reason, line) };
}
