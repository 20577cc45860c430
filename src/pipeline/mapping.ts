import { z } from "zod";
import type { Subgraph } from "./plan.js";

/**
 * mapping.json: for every kernel argument of the composed program, where ModelNew gets it. The
 * deterministic composer keeps Model's own __init__, so each weight is the original attribute
 * (`self.fc.weight`) and each activation a name of forward: the mapping is the identity, certain
 * because capture named every weight by its path in the model. A BatchNorm in eval mode folded
 * into the layer before it makes two `computed` arguments, derived by the folding helpers from the
 * registered parameters and running statistics on every call.
 */

export const MappingArgumentSchema = z.object({
  /** the kernel's argument (x0, w0, ...) */
  argument: z.string(),
  source: z.enum(["input", "parameter", "buffer", "computed"]),
  /** how ModelNew.forward reads it: `x`, `self.fc.weight`, a folded weight */
  expr: z.string(),
  shape: z.array(z.number().int()),
  dtype: z.string(),
});

export type MappingArgument = z.infer<typeof MappingArgumentSchema>;

export const MappingSchema = z.object({
  schema: z.literal("tritonize.mapping/1"),
  /** "capture": derived without a model; "model": written by one and verified */
  derived: z.enum(["capture", "model"]),
  certain: z.boolean(),
  why: z.string(),
  kernels: z.array(
    z.object({ subgraph: z.string(), region: z.string(), modules: z.record(z.string(), z.string()), arguments: z.array(MappingArgumentSchema) }),
  ),
  /** functions ModelNew needs to derive fused values (weight folding); none for the identity */
  helpers: z.array(z.string()),
  notes: z.array(z.string()),
});
export type Mapping = z.infer<typeof MappingSchema>;

/**
 * The mapping read off the capture: a kernel input is the model's input where it is forward's own
 * argument unchanged, else computed by an earlier kernel. It is certain when every weight was
 * found by its attribute path, with none a constant the capture lifted.
 */
export function captureMapping(subgraphs: Subgraph[]): Mapping {
  const notes: string[] = [];
  let certain = true;
  const kernels = subgraphs.flatMap((sg) =>
    sg.where.map((w) => {
      const inputs = sg.inputs.map((inp, i) => ({
        argument: inp.input,
        source: w.inputs.includes(w.args[i] ?? "") ? ("input" as const) : ("computed" as const),
        expr: w.args[i] ?? "?",
        shape: inp.shape,
        dtype: inp.dtype,
      }));
      const weights = sg.weights.map((wt) => {
        if (wt.kind === "constant") {
          certain = false;
          notes.push(`${sg.id}: ${wt.input} is a tensor constant (${wt.expr}), not a registered parameter or buffer`);
        }
        return { argument: wt.input, source: weightSource(wt.kind), expr: wt.expr, shape: wt.shape, dtype: wt.dtype };
      });
      return { subgraph: sg.id, region: w.region, modules: w.modules, arguments: [...inputs, ...weights] };
    }),
  );
  if (kernels.some((k) => k.arguments.some((a) => a.expr === "?"))) {
    certain = false;
    notes.push("a kernel input could not be matched to a name of forward");
  }
  return {
    schema: "tritonize.mapping/1",
    derived: "capture",
    certain,
    why: certain
      ? "ModelNew keeps Model's __init__ (the same parameters and buffers, in the same order, with the same initialisation); capture named every kernel weight by its attribute path, so each argument is the original attribute or a name of forward, unchanged"
      : "derived from the capture, but not every argument could be named with certainty (see notes)",
    kernels,
    helpers: foldHelpers(subgraphs),
    notes,
  };
}

function weightSource(kind: Subgraph["weights"][number]["kind"]): MappingArgument["source"] {
  return kind === "buffer" ? "buffer" : kind === "computed" ? "computed" : "parameter";
}

/** The folding helpers composed.py defines (python/tritonize_harness/fold.py), where a kernel takes folded values. */
export const FOLD_HELPERS = [
  "_tz_fold_bn_weight(weight, gamma, running_var, eps) = weight * gamma / sqrt(running_var + eps) per output channel",
  "_tz_fold_bn_bias(bias, gamma, beta, running_mean, running_var, eps) = (bias - running_mean) * gamma / sqrt(running_var + eps) + beta",
];

function foldHelpers(subgraphs: Subgraph[]): string[] {
  const exprs = subgraphs.flatMap((s) => s.weights.filter((w) => w.kind === "computed").map((w) => w.expr));
  return FOLD_HELPERS.filter((h) => exprs.some((e) => e.startsWith(h.slice(0, h.indexOf("(")))));
}
