import { z } from "zod";
import { DtypeSchema } from "../author/graph.js";

/**
 * The regions document (`python -m tritonize_harness regions`, schema "tritonize.regions/1"): how
 * the deterministic fuser cut forward, what each region's observed calls were, and the unique
 * subgraphs they capture to. `subgraphs.json` in a run directory is its `subgraphs` list.
 */

const TensorMetaSchema = z.object({ shape: z.array(z.number().int()), dtype: DtypeSchema });

export const SubgraphWeightSchema = TensorMetaSchema.extend({
  /** the subgraph problem's argument name (w0, w1, ...) */
  input: z.string(),
  /** where the composed module reads it: `self.fc.weight`, `blk.norm.bias`, or how it derives it (a folded weight) */
  expr: z.string(),
  /** its name in the original model's state (`blocks.0.fc.weight`), or what it is folded from */
  name: z.string(),
  /** computed: derived from parameters and buffers on every call (BatchNorm folded in eval mode) */
  kind: z.enum(["parameter", "buffer", "constant", "computed"]),
});
export type SubgraphWeight = z.infer<typeof SubgraphWeightSchema>;

export const SubgraphSchema = z.object({
  id: z.string(),
  /** hash of the captured graph, its input shapes and dtypes and its weight layout */
  signature: z.string(),
  /** the functional KernelBench problem (weights as inputs) this subgraph is solved as */
  problem: z.string(),
  ops: z.array(z.string()),
  inputs: z.array(TensorMetaSchema.extend({ input: z.string() })),
  outputs: z.array(TensorMetaSchema),
  weights: z.array(SubgraphWeightSchema),
  count: z.number().int().positive(),
  where: z.array(
    z.object({
      region: z.string(),
      line: z.number().int(),
      branch: z.string(),
      /** module-valued names of the region (a loop's block) -> their path in the model */
      modules: z.record(z.string(), z.string()),
      /** forward's names passed as the subgraph's tensor inputs, in order */
      args: z.array(z.string()),
      /** those of them that are forward's own arguments, unchanged (the rest are computed by earlier kernels) */
      inputs: z.array(z.string()),
    }),
  ),
});
export type Subgraph = z.infer<typeof SubgraphSchema>;

export const RegionSchema = z.object({
  id: z.string(),
  kind: z.enum(["block", "return", "cond"]),
  line: z.number().int(),
  endLine: z.number().int(),
  /** where in the control flow: "" for forward's own body, else e.g. "for@14/if@17:then" */
  branch: z.string(),
  liveIn: z.array(z.string()),
  liveOut: z.array(z.string()),
  usesSelf: z.boolean(),
  pythonArgs: z.array(z.string()),
  instances: z.array(
    z.object({
      modules: z.record(z.string(), z.string()),
      python: z.array(z.string()),
      /** the Python values (repr) and tensor shapes of this call, which tell it from the region's other calls */
      guard: z.object({ python: z.record(z.string(), z.string()), shapes: z.record(z.string(), z.array(z.number().int())) }),
      weights: z.array(z.string()),
      subgraph: z.string().nullable(),
      /** views only: the composed module keeps the region's own statements */
      inline: z.boolean(),
      structure: z.string(),
    }),
  ),
});
export type Region = z.infer<typeof RegionSchema>;

export const BranchSideSchema = z.object({
  condition: z.string(),
  line: z.number().int(),
  side: z.enum(["true", "false"]),
  /** the verifier's trial seeds (default base seed) under which the condition took this side */
  trialSeeds: z.array(z.number().int()),
  /** another base seed whose first trial takes this side, when no default trial does */
  extraBaseSeed: z.number().int().nullable(),
});
export type BranchSide = z.infer<typeof BranchSideSchema>;

export const RegionsOkSchema = z.object({
  schema: z.literal("tritonize.regions/1"),
  ok: z.literal(true),
  problem: z.string(),
  fused: z.string(),
  /** the fused model against the original on the verifier's seeds */
  fusedMaxAbsErr: z.number(),
  seeds: z.object({ base: z.number().int(), trials: z.array(z.number().int()) }),
  regions: z.array(RegionSchema),
  subgraphs: z.array(SubgraphSchema),
  branches: z.array(BranchSideSchema),
  conditionReads: z.number().int(),
  /** "model": fused.py is the model fuser's rewrite, adopted (composed from fused.py itself) */
  fusedBy: z.literal("model").optional(),
});
export type RegionsPlan = z.infer<typeof RegionsOkSchema>;

export const RegionsFailureSchema = z.object({
  schema: z.literal("tritonize.regions/1"),
  ok: z.literal(false),
  problem: z.string(),
  code: z.string(),
  /** the construct the fuser stopped at, and its line in the problem */
  construct: z.string().nullable(),
  line: z.number().int().nullable(),
  message: z.string(),
});
export const RegionsDocumentSchema = z.discriminatedUnion("ok", [RegionsOkSchema, RegionsFailureSchema]);
export type RegionsDocument = z.infer<typeof RegionsDocumentSchema>;

/** `subgraphs.json`: the unique subgraphs of a run, in first-use order. */
export const SubgraphsFileSchema = z.object({
  schema: z.literal("tritonize.subgraphs/1"),
  problem: z.string(),
  subgraphs: z.array(SubgraphSchema),
  /** tensor conditions one forward call reads back to Python (what verification must allow) */
  conditionReads: z.number().int(),
});
export type SubgraphsFile = z.infer<typeof SubgraphsFileSchema>;

/** Parses a document against a schema, naming the first field that does not fit. */
export function parseWith<T>(schema: z.ZodType<T>, raw: unknown, source: string): T {
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const where = issue ? issue.path.join(".") || "(root)" : "(root)";
  throw new Error(`${source} does not fit its schema: ${where}: ${issue?.message ?? "invalid"}`);
}
