import type { Command } from "commander";
import { resolveConfig } from "../../config/config.js";
import { pythonEnvironment } from "../../harness/environment.js";
import { resolvePython } from "../../harness/python.js";
import { EXIT, helpFooter } from "../exit-codes.js";
import { interruptible } from "../interrupt.js";
import type { SetExit } from "./index.js";

export function register(program: Command, setExit: SetExit): void {
  program
    .command("doctor")
    .description("report node, python, torch, triton, the GPU (or interpreter mode) and configured providers")
    .option("--json", "print a JSON document")
    .addHelpText("after", helpFooter(["ok", "environment", "interrupted"], "tritonize doctor --json", "everything needed is there"))
    .action(async (o) => setExit(await interruptible("doctor", (signal) => doctor(o, signal))));
}

async function doctor(o: { json?: boolean }, signal: AbortSignal): Promise<number> {
  const report: Record<string, unknown> = { node: process.versions.node };
  let ok = true;
  try {
    report.pythonPath = await resolvePython();
    const env = await pythonEnvironment(report.pythonPath as string, signal);
    Object.assign(report, {
      python: env.python,
      torch: env.torch ?? null,
      triton: env.triton ?? null,
      numpy: env.numpy ?? null,
      gpu: env.gpu ?? null,
      mode: env.mode,
    });
    if (!env.ok) {
      ok = false;
      report.error = env.error;
    }
  } catch (err) {
    if (signal.aborted) throw err;
    ok = false;
    report.error = (err as Error).message;
  }
  // Names only, never keys; placeholders count as unset (the same resolution every command uses).
  try {
    report.providers = Object.values(resolveConfig().providers).map((p) => p.id);
  } catch (err) {
    report.providers = [];
    report.providerError = (err as Error).message;
  }
  if (o.json) process.stdout.write(JSON.stringify(report) + "\n");
  else process.stdout.write(renderDoctor(report) + "\n");
  return ok ? EXIT.ok : EXIT.environment;
}

function renderDoctor(r: Record<string, unknown>): string {
  const gpu = r.gpu as { name: string; memoryGiB: number; count: number } | null | undefined;
  const providers = r.providers as string[];
  return [
    `node      ${r.node}`,
    `python    ${r.python ?? "-"} (${r.pythonPath ?? "not found"})`,
    `torch     ${r.torch ?? "-"}`,
    `triton    ${r.triton ?? "-"}`,
    `numpy     ${r.numpy ?? "-"}`,
    `gpu       ${gpu ? `${gpu.name}, ${gpu.memoryGiB} GiB${gpu.count > 1 ? ` (x${gpu.count})` : ""}` : r.mode === "interpreter" ? "none: kernels run in Triton's interpreter (CPU)" : "-"}`,
    `providers ${providers.length ? providers.join(", ") : "none configured (set OPENAI_API_KEY, ANTHROPIC_API_KEY or OPENAI_BASE_URL)"}`,
    ...(r.providerError ? [`config    ${r.providerError}`] : []),
    ...(r.error ? [`problem   ${r.error}`] : []),
  ].join("\n");
}
