import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { resolvePython } from "../../harness/python.js";

/**
 * Test helper: model_new.py loaded as KernelBench's evaluation loads a Triton submission
 * (python/tests/kernelbench_loader.py: the reference exec'd into a namespace, the submission
 * imported from a temporary .py file, set_seed(42) before each constructor) and compared on CPU.
 */
export async function kernelBenchLoads(problem: string, modelNew: string, trials = 2): Promise<{ ok: boolean; maxAbsErr: number | null; error: string | null }> {
  const loader = fileURLToPath(new URL("../../../python/tests/kernelbench_loader.py", import.meta.url));
  const { stdout } = await promisify(execFile)(await resolvePython(), [loader, "--reference", problem, "--submission", modelNew, "--trials", String(trials)], {
    env: { ...process.env, TRITON_INTERPRET: "1" },
  });
  return JSON.parse(stdout.trim().split("\n").pop()!);
}
