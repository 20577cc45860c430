import type { MappingReply } from "./mapping-reply.js";

/**
 * model_new.py from a model-written mapping: the composed module (its own class renamed out of the
 * way, so only its kernels and their runners are used), the mapping's helpers, then the problem's
 * source with `Model` renamed `ModelNew` and only `forward` replaced by the mapping's launches.
 * `__init__` stays the problem's own, so KernelBench's construction under one seed gives both
 * classes the same parameters and buffers in the same order.
 */

const COMPOSED_CLASS = "_TzComposedModel";

export function modelNewFrom(problem: string, composed: string, reply: MappingReply): string {
  const forward = methodSpan(problem, "Model", "forward");
  if (!forward) throw new Error("the problem defines no Model.forward to replace");
  const lines = problem.split("\n");
  const signature = lines.slice(forward.start, forward.bodyStart).join("\n");
  const pad = " ".repeat(forward.indent + 4);
  const body = reply.launches.map((l) => {
    const call = `${l.kernel}(${l.arguments.map((a) => a.expr).join(", ")})`;
    const target = l.result === "tensor" ? l.outputs[0]! : `${l.outputs.join(", ")},`;
    return `${pad}${target} = ${call}`;
  });
  const newForward = [signature, ...body, `${pad}return ${reply.returns}`].join("\n");
  const own = [...lines.slice(0, forward.start), newForward, ...lines.slice(forward.end)].join("\n").replace(/\bModel\b/g, "ModelNew");
  const kernels = composed.replace(/\bModelNew\b/g, COMPOSED_CLASS);
  const helpers = reply.helpers.map((h) => h.source.trim()).join("\n\n\n");
  // __future__ imports must open the module; the parts joined below may each carry some
  const future = /^from __future__ import .*$/gm;
  const futures = [...new Set([...kernels.matchAll(future), ...own.matchAll(future)].map((m) => m[0]))];
  return [
    "# Formatted by tritonize from a model-written mapping (mapping.json): the composed kernels, the\n" +
      "# mapping's helpers, and ModelNew with Model's own __init__ launching them in forward." +
      (futures.length ? "\n" + futures.join("\n") : ""),
    kernels.replace(future, "").trimEnd(),
    ...(helpers ? ["# ---- helpers of the mapping ----", helpers] : []),
    "# ---- ModelNew: Model's __init__, forward from the mapping ----",
    own.replace(future, "").trimEnd(),
    "",
  ].join("\n\n");
}

/** Forward's parameter names after self, read from its signature. */
export function forwardArgs(problem: string): string[] {
  const span = methodSpan(problem, "Model", "forward");
  if (!span) return [];
  const sig = problem.split("\n").slice(span.start, span.bodyStart).join(" ");
  const inner = sig.slice(sig.indexOf("(") + 1, sig.lastIndexOf(")"));
  return inner
    .split(",")
    .map((p) => p.trim().replace(/^\*+/, "").split(/[:=\s]/)[0]!)
    .filter((n) => n && n !== "self");
}

/** Lines of `def name` inside `class cls`: its first line, its body's first line, the line after it. */
function methodSpan(source: string, cls: string, name: string): { start: number; bodyStart: number; end: number; indent: number } | null {
  const lines = source.split("\n");
  const c = lines.findIndex((l) => new RegExp(`^class\\s+${cls}\\b`).test(l));
  if (c < 0) return null;
  const start = lines.findIndex((l, i) => i > c && new RegExp(`^\\s+def\\s+${name}\\s*\\(`).test(l));
  if (start < 0) return null;
  const indent = (lines[start]!.match(/^\s*/) ?? [""])[0].length;
  let bodyStart = start;
  while (bodyStart < lines.length && !/\)\s*(->\s*[^:]+)?:\s*(#.*)?$/.test(lines[bodyStart]!)) bodyStart++;
  bodyStart++;
  let end = bodyStart;
  while (end < lines.length && (!lines[end]!.trim() || (lines[end]!.match(/^\s*/) ?? [""])[0].length > indent)) end++;
  // trailing blank lines belong to what follows
  while (end > bodyStart && !lines[end - 1]!.trim()) end--;
  return { start, bodyStart, end, indent };
}
