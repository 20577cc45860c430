import { z } from "zod";

/**
 * The captured graph: what python/tritonize_harness/capture.py writes (schema "tritonize.graph/1").
 * One node per ATen operator at the problem's exact shapes; arguments point at inputs, parameters,
 * buffers or other nodes, or are constants.
 */

export const DTYPES = ["float32", "float16", "bfloat16", "float64", "int64", "int32", "int16", "int8", "uint8", "bool"] as const;
export const DtypeSchema = z.enum(DTYPES);
export type Dtype = z.infer<typeof DtypeSchema>;

const TensorMeta = {
  shape: z.array(z.number().int()),
  dtype: DtypeSchema,
  strides: z.array(z.number().int()),
  contiguous: z.boolean(),
};

export type Ref = { node: string } | { input: string } | { param: string };
/** An argument: a reference, a constant, or a list of them. */
export type Arg = Ref | number | boolean | string | null | { dtype: string } | { float: string } | { device: string } | { enum: string } | { repr: string } | Arg[];
export const ArgSchema: z.ZodType<Arg> = z.lazy(() =>
  z.union([
    z.object({ node: z.string() }).strict(),
    z.object({ input: z.string() }).strict(),
    z.object({ param: z.string() }).strict(),
    z.object({ dtype: z.string() }).strict(),
    z.object({ float: z.string() }).strict(),
    z.object({ device: z.string() }).strict(),
    z.object({ enum: z.string() }).strict(),
    z.object({ repr: z.string() }).strict(),
    z.number(),
    z.boolean(),
    z.string(),
    z.null(),
    z.array(ArgSchema),
  ]),
);

export const GraphInputSchema = z.object({
  id: z.string(),
  index: z.number().int(),
  ...TensorMeta,
  /** a Python number passed to forward (the tracer bakes its value into the graph), else null */
  scalar: z.union([z.number(), z.boolean()]).nullable().optional(),
});
export type GraphInput = z.infer<typeof GraphInputSchema>;

export const GraphParamSchema = z.object({
  id: z.string(),
  /** attribute path in the model, e.g. "lin.weight" */
  name: z.string(),
  kind: z.enum(["parameter", "buffer", "constant"]),
  ...TensorMeta,
  module: z.string(),
  moduleType: z.string(),
  training: z.boolean(),
});
export type GraphParam = z.infer<typeof GraphParamSchema>;

const OutMeta = z.object(TensorMeta).nullable();
export const GraphNodeSchema = z.object({
  id: z.string(),
  /** normalised operator name, e.g. "relu", "linear", "softmax" */
  op: z.string(),
  /** full ATen name, e.g. "aten.add.Tensor" */
  target: z.string(),
  args: z.array(ArgSchema),
  kwargs: z.record(z.string(), ArgSchema),
  /** true when the op only changes metadata (view, permute, expand, ...) */
  view: z.boolean(),
  shape: z.array(z.number().int()).nullable(),
  dtype: DtypeSchema.nullable(),
  strides: z.array(z.number().int()).nullable(),
  contiguous: z.boolean().nullable(),
  /** for ops returning several tensors (max.dim: values, indices) */
  outputs: z.array(OutMeta).nullable(),
  module: z.string().nullable(),
  moduleType: z.string().nullable(),
  training: z.boolean().nullable(),
  line: z.number().int().nullable(),
});
export type GraphNode = z.infer<typeof GraphNodeSchema>;

export const CapturedGraphSchema = z.object({
  schema: z.literal("tritonize.graph/1"),
  ok: z.literal(true),
  problem: z.string(),
  training: z.boolean(),
  initInputs: z.array(ArgSchema),
  init: z.object({
    source: z.string().nullable(),
    constants: z.record(z.string(), z.unknown()),
    unresolved: z.array(z.string()),
    error: z.string().nullable(),
  }),
  inputs: z.array(GraphInputSchema),
  nonTensorInputs: z.array(z.object({ index: z.number().int(), value: ArgSchema })),
  params: z.array(GraphParamSchema),
  nodes: z.array(GraphNodeSchema),
  outputs: z.array(ArgSchema),
  returnsTuple: z.boolean(),
  mutations: z.array(z.object({ buffer: z.string(), value: z.string() })),
  /** composite operators the capture replaced by their PyTorch decompositions (e.g. aten.einsum.default) */
  decomposed: z.array(z.string()).optional(),
  /** why decomposing them failed (the graph then keeps them whole), else null */
  decomposeError: z.string().nullable().optional(),
  torch: z.string(),
});
export type CapturedGraph = z.infer<typeof CapturedGraphSchema>;

export const CaptureFailureSchema = z.object({
  schema: z.literal("tritonize.graph/1"),
  ok: z.literal(false),
  problem: z.string(),
  /** "trace_failed" | "load_failed" | "bad_arguments" */
  code: z.string(),
  message: z.string(),
  line: z.number().int().nullable(),
});
export type CaptureFailure = z.infer<typeof CaptureFailureSchema>;

export const CaptureDocumentSchema = z.discriminatedUnion("ok", [CapturedGraphSchema, CaptureFailureSchema]);
export type CaptureDocument = z.infer<typeof CaptureDocumentSchema>;

/** Parses a capture document, naming the first field that does not fit. */
export function parseCaptureDocument(raw: unknown, source: string): CaptureDocument {
  const r = CaptureDocumentSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    const where = issue ? issue.path.join(".") || "(root)" : "(root)";
    throw new Error(`the capture document from ${source} does not fit the schema: ${where}: ${issue?.message ?? "invalid"}`);
  }
  return r.data;
}

export function isRef(a: Arg): a is Ref {
  return typeof a === "object" && a !== null && !Array.isArray(a) && ("node" in a || "input" in a || "param" in a);
}

export function refId(r: Ref): string {
  return "node" in r ? r.node : "input" in r ? r.input : r.param;
}
