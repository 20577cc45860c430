import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { projectRoot } from "./paths.js";

const run = promisify(execFile);
let cached: string | undefined;

/**
 * The python that runs the harness: TRITONIZE_PYTHON when set (any python with torch and triton,
 * as on a GPU host), else the project's own environment made by `npm run setup`.
 */
export async function resolvePython(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const chosen = env.TRITONIZE_PYTHON?.trim();
  if (chosen) return chosen;
  if (cached) return cached;
  try {
    const { stdout } = await run("bash", [join(projectRoot(), "scripts", "python-env.sh"), "--no-create"], {
      env: { ...env, TRITONIZE_PYTHON: "" },
    });
    cached = stdout.trim();
    return cached;
  } catch (err) {
    const e = err as { stderr?: string };
    throw new HarnessUnavailable(
      (e.stderr ?? "").trim() ||
        "the harness's Python environment is not set up: run 'npm run setup', or set TRITONIZE_PYTHON",
    );
  }
}

export class HarnessUnavailable extends Error {
  override name = "HarnessUnavailable";
}
