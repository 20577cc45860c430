import { strict as assert } from "node:assert";
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

/** The lines of the tensor-core convolution main loop (from the K-step loop to the product) of a generated module. */
export function mainLoop(code: string): string[] {
  const lines = code.split("\n");
  const start = lines.findIndex((l) => /^ {4}for (s|kc) in range\(0, /.test(l));
  const end = lines.findIndex((l, i) => i > start && /^ {4}\S/.test(l));
  assert.ok(start > 0 && end > start, "no main loop found");
  return lines.slice(start, end);
}

/**
 * Convolution examples whose every autotuned tile is checked alone, with their tile counts per
 * operand layout: two convolutions each, four tiles each, but two where the main loop is one K
 * step (stages capped at 3, duplicates dropped): conv_transpose_1d_2d's one, and with K-major
 * operands one of conv_same_dilated_grouped's (all its taps packed into one step).
 */
export const CONV_TILE_CASES: Record<string, { kMajor: number; mnMajor: number }> = {
  conv_transpose_1d_2d: { kMajor: 6, mnMajor: 6 },
  conv_same_dilated_grouped: { kMajor: 6, mnMajor: 8 },
};
