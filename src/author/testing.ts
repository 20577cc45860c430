import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { z } from "zod";
import { resolvePython } from "../harness/python.js";

/** Test helper: python/tests/each_config.py's report on a module, every autotuned tile of its kernels run alone (interpreter). */
const eachConfig = fileURLToPath(new URL("../../python/tests/each_config.py", import.meta.url));

const EachConfig = z.object({
  ok: z.boolean(),
  configs: z.array(z.object({ tile: z.string(), ok: z.boolean(), maxAbsErr: z.number().nullable(), error: z.string().nullable() })),
  error: z.string().nullable(),
});

export async function eachConfigReport(problem: string, candidate: string): Promise<z.infer<typeof EachConfig>> {
  const { stdout } = await promisify(execFile)(await resolvePython(), [eachConfig, "--reference", problem, "--submission", candidate], {
    env: { ...process.env, TRITON_INTERPRET: "1" },
  });
  return EachConfig.parse(JSON.parse(stdout.trim().split("\n").pop()!));
}
