import { z } from "zod";
import type { Subgraph } from "./plan.js";

/**
 * mapping.json: for every kernel argument of the composed program, where ModelNew gets it. The
 * deterministic composer keeps Model's own __init__, so each weight is the original attribute
 * (`self.fc.weight`) and each activation a name of forward: the mapping is the identity, certain
 * because capture named every weight by its path in the model.
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
        return { argument: wt.input, source: wt.kind === "buffer" ? ("buffer" as const) : ("parameter" as const), expr: wt.expr, shape: wt.shape, dtype: wt.dtype };
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
    helpers: [],
    notes,
  };
}
