import type { Command } from "commander";
import { InvalidArgumentError } from "commander";
import { captureGraph } from "../../author/capture.js";
import { kernelAgentAuthor } from "../../author/model-author.js";
import { runProblem, type AuthorMode, type RunResult } from "../../author/run-offline.js";
import { pipelineDeps, parseRouteOptions } from "../../pipeline/cli-deps.js";
import { runPipeline } from "../../pipeline/run-pipeline.js";
import { eventLine, renderPipeline } from "../../pipeline/render.js";
import { verifyCandidate } from "../../harness/verify.js";
import { resolveConfig } from "../../config/config.js";
import { EXIT } from "../exit-codes.js";
import { collectSet, inputPath, parseDevice, parsePositiveInt, requireFile } from "../options.js";
import type { SetExit } from "./index.js";

function parseAuthor(v: string): AuthorMode {
  if (v === "offline" || v === "model" || v === "auto") return v;
  throw new InvalidArgumentError("use offline, model or auto");
}

export function register(program: Command, setExit: SetExit): void {
  program
    .command("run")
    .description("turn a PyTorch problem into verified Triton kernels and write the KernelBench ModelNew (model_new.py)")
    .option("--problem <file>", "KernelBench-format problem (Model, get_inputs, get_init_inputs)", inputPath)
    .option("--route <route>", "direct (one kernel file for the whole problem) | pipeline (regions, one kernel per unique subgraph, composed)")
    .option("--no-fallback", "do not try the other route when the chosen one fails")
    .option("--resume <run-dir>", "continue a run that stopped: finished stages and verified kernels are reused")
    .option("--jobs <n>", "subgraphs authored at once", parsePositiveInt, 2)
    .option("--output-format <format>", "kernelbench (model_new.py with mapping.json) | composed", "kernelbench")
    .option("--author <mode>", "offline (templates, no model) | model | auto (offline where it covers the graph)", parseAuthor)
    .option("--device <device>", "auto | cuda | cpu (cpu runs Triton's interpreter)", parseDevice, "auto")
    .option("--out <dir>", "folder for run directories", ".tritonize/runs")
    .option("--set <name=value>", "override a module constant of the problem (repeatable)", collectSet, {})
    .option("--trials <n>", "verification trials with fresh inputs", parsePositiveInt, 5)
    .option("--timeout <seconds>", "wall-clock limit for verification", parsePositiveInt, 300)
    .option("--json", "print only the result document")
    .addHelpText("after", `\nExit status: 0 only when model_new.py was written and verified.`)
    .action(async (o) => {
      const missing = o.resume ? null : o.problem ? requireFile(o.problem, "problem") : "--problem is required (or --resume RUN_DIR)";
      if (missing) {
        process.stderr.write(`tritonize run: ${missing}\n`);
        setExit(EXIT.problemNotFound);
        return;
      }
      const routeOpts = parseRouteOptions(o);
      if (typeof routeOpts === "string") {
        process.stderr.write(`tritonize run: ${routeOpts}\n`);
        setExit(EXIT.usage);
        return;
      }
      const config = resolveConfig({});
      const providerConfigured = Object.keys(config.providers).length > 0;
      // without a provider the offline author is the only one; with one, auto picks per graph
      const author: AuthorMode = o.author ?? (providerConfigured ? "auto" : "offline");
      const modelAuthor = providerConfigured ? kernelAgentAuthor(config, { device: o.device, trials: o.trials, sets: o.set }) : null;
      const result = await runPipeline(
        { problem: o.problem ?? "", sets: o.set, device: o.device, trials: o.trials, timeoutMs: o.timeout * 1000, outDir: o.out, author, ...routeOpts },
        pipelineDeps({
          config: providerConfigured && author !== "offline" ? config : null,
          direct: (r) => runProblem(r, { capture: captureGraph, verify: verifyCandidate, modelAuthor, providerConfigured }),
          outDir: o.out,
          onEvent: o.json ? undefined : (e) => {
            const line = eventLine(e);
            if (line) process.stderr.write(line + "\n");
          },
        }),
      );
      process.stdout.write(o.json ? JSON.stringify(result) + "\n" : renderPipeline(result) + "\n");
      setExit(result.ok ? EXIT.ok : EXIT.rejected);
    });
}

export function render(r: RunResult): string {
  const lines: string[] = [];
  lines.push(r.ok ? `VERIFIED  ${r.message.replace(/^ACCEPTED:\s*/, "")}` : `NOT VERIFIED  ${r.message}`);
  if (r.author) lines.push(`  author: ${r.author}${r.kernels !== null ? `, ${r.kernels} Triton kernel${r.kernels === 1 ? "" : "s"}` : ""}`);
  for (const s of r.steps) lines.push(`    ${s}`);
  if (r.verdict) {
    lines.push(`  device: ${r.verdict.device}${r.verdict.interpreter ? " (Triton interpreter)" : ""}, max abs err ${r.verdict.maxAbsErr ?? "n/a"}`);
  }
  if (r.modelNew) lines.push(`  model_new.py: ${r.modelNew}`);
  lines.push(`  run directory: ${r.runDir}`);
  return lines.join("\n");
}
