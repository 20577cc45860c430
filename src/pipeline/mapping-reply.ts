import { z } from "zod";
import type { Mapping } from "./mapping.js";
import type { Subgraph } from "./plan.js";

/**
 * A mapping written by a model (when capture does not make it certain): which kernel of the
 * composed module runs in what order, each argument's source and the expression ModelNew.forward
 * reads it with, the names the results are bound to, what forward returns, and any helper
 * functions (weight folding) the expressions call. `checkReply` holds it against the composed
 * module and the subgraphs; `modelNewFrom` (format-mapping.ts) builds model_new.py from it.
 */

const identifier = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be a Python identifier");

export const ReplyArgumentSchema = z.object({
  /** the subgraph's argument (x0, w0, ...), in the subgraph's order */
  argument: z.string(),
  source: z.enum(["input", "parameter", "buffer", "computed"]),
  /** Python that ModelNew.forward evaluates: `x`, `self.fc.weight`, `_fold(self.fc, self.bn)` */
  expr: z.string().min(1),
});

export const ReplyLaunchSchema = z.object({
  subgraph: z.string(),
  /** a callable composed.py defines at module level (`_sg1_run`) or a helper of this reply */
  kernel: identifier,
  arguments: z.array(ReplyArgumentSchema),
  /** names the call's result is bound to */
  outputs: z.array(identifier).min(1),
  /** "sequence": the call returns a tuple or list (unpacked into outputs); "tensor": one tensor */
  result: z.enum(["sequence", "tensor"]),
});

export const MappingReplySchema = z.object({
  launches: z.array(ReplyLaunchSchema).min(1),
  /** forward's return expression over forward's names (`h`, `(a, b)`) */
  returns: z.string().min(1),
  helpers: z.array(z.object({ name: identifier, source: z.string().min(1) })).default([]),
  notes: z.array(z.string()).default([]),
});
export type MappingReply = z.infer<typeof MappingReplySchema>;

/** The top-level names a Python module defines (def, class, plain assignment). */
export function topLevelNames(source: string): Set<string> {
  const names = new Set<string>();
  for (const m of source.matchAll(/^(?:def|class)\s+([A-Za-z_]\w*)|^([A-Za-z_]\w*)\s*=/gm)) names.add((m[1] ?? m[2])!);
  return names;
}

/**
 * What is wrong with a schema-valid reply, or null: launches of unknown subgraphs or callables,
 * arguments not the subgraph's own in its order, sources that cannot be, helpers that do not
 * define themselves, names used before they are bound.
 */
export function checkReply(reply: MappingReply, o: { composed: string; subgraphs: Subgraph[]; forwardArgs: string[] }): string | null {
  const callables = topLevelNames(o.composed);
  for (const h of reply.helpers) {
    if (!new RegExp(`^def\\s+${h.name}\\s*\\(`, "m").test(h.source)) return `helper ${h.name}: its source does not define def ${h.name}(...)`;
    callables.add(h.name);
  }
  const bound = new Set(o.forwardArgs);
  for (const [i, l] of reply.launches.entries()) {
    const where = `launches[${i}] (${l.subgraph})`;
    const sg = o.subgraphs.find((s) => s.id === l.subgraph);
    if (!sg) return `${where}: no subgraph ${l.subgraph}; the subgraphs are ${o.subgraphs.map((s) => s.id).join(", ")}`;
    if (!callables.has(l.kernel)) return `${where}: composed.py defines no ${l.kernel}; launch one of ${[...callables].filter((n) => n.endsWith("_run")).join(", ") || "its kernels"}`;
    const expected = [...sg.inputs.map((x) => x.input), ...sg.weights.map((w) => w.input)];
    const got = l.arguments.map((a) => a.argument);
    if (expected.join(",") !== got.join(",")) return `${where}: arguments must be the subgraph's own, in order: ${expected.join(", ")} (got ${got.join(", ") || "none"})`;
    for (const a of l.arguments) {
      if ((a.source === "parameter" || a.source === "buffer") && !/^(self|[A-Za-z_]\w*)\./.test(a.expr)) return `${where}: ${a.argument} is a ${a.source}, so its expression reads an attribute (self.…), not ${a.expr}`;
      if (a.source === "input" && !bound.has(a.expr)) return `${where}: ${a.argument} is an input, but ${a.expr} is not a name of forward bound before this launch (${[...bound].join(", ")})`;
    }
    if (l.result === "tensor" && l.outputs.length !== 1) return `${where}: a tensor result binds one name, not ${l.outputs.length}`;
    l.outputs.forEach((n) => bound.add(n));
  }
  return null;
}

/** mapping.json for a reply that verified. */
export function mappingOf(reply: MappingReply, subgraphs: Subgraph[], attempts: number): Mapping {
  return {
    schema: "tritonize.mapping/1",
    derived: "model",
    certain: true,
    why: `written by a model (attempt ${attempts}) where capture left it uncertain; model_new.py built from it passed the harness's verification (KernelBench's construction protocol and every integrity check)`,
    kernels: reply.launches.map((l, i) => {
      const sg = subgraphs.find((s) => s.id === l.subgraph)!;
      const meta = [...sg.inputs, ...sg.weights];
      return {
        subgraph: l.subgraph,
        region: `launch${i + 1}`,
        modules: {},
        arguments: l.arguments.map((a, j) => ({ ...a, shape: meta[j]!.shape, dtype: meta[j]!.dtype })),
      };
    }),
    helpers: reply.helpers.map((h) => h.name),
    notes: reply.notes,
  };
}
