import { z } from "zod";
import { runHarness } from "./run-harness.js";

export const PythonEnvironmentSchema = z.object({
  schema: z.literal("tritonize.env/1"),
  ok: z.boolean(),
  python: z.string(),
  executable: z.string(),
  platform: z.string(),
  torch: z.string().nullable().optional(),
  triton: z.string().nullable().optional(),
  numpy: z.string().nullable().optional(),
  cuda: z.boolean().optional(),
  gpu: z
    .object({ name: z.string(), memoryGiB: z.number(), count: z.number(), capability: z.string() })
    .nullable()
    .optional(),
  mode: z.enum(["cuda", "interpreter"]),
  error: z.string().optional(),
});
export type PythonEnvironment = z.infer<typeof PythonEnvironmentSchema>;

/** What the harness's python has: versions, and a GPU or the interpreter. */
export async function pythonEnvironment(python?: string, signal?: AbortSignal): Promise<PythonEnvironment> {
  const outcome = await runHarness({ args: ["env"], timeoutMs: 60_000, python, signal });
  if (outcome.kind !== "document") {
    throw new Error(`the harness's python did not answer: ${outcome.stderr.trim().split("\n").slice(-3).join(" ")}`);
  }
  return PythonEnvironmentSchema.parse(outcome.document);
}
