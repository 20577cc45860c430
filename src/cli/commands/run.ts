import type { Command } from "commander";
import { InvalidArgumentError } from "commander";
import { captureOnce } from "../../author/capture.js";
import { kernelAgentAuthor } from "../../author/model-author.js";
import { runProblem, type AuthorMode, type RunResult } from "../../author/run-offline.js";
import { checkProblem } from "../../harness/check-problem.js";
import { pythonEnvironment } from "../../harness/environment.js";
import { pipelineDeps, parseRouteOptions } from "../../pipeline/cli-deps.js";
import { runPipeline, type PipelineResult } from "../../pipeline/run-pipeline.js";
import { eventLine, renderPipeline } from "../../pipeline/render.js";
import { prewarmHarness, verifyCandidate } from "../../harness/verify.js";
import { resolveConfig, type TritonizeConfig } from "../../config/config.js";
import { EXIT, exitFor, helpFooter, PROBLEM_STATUSES } from "../exit-codes.js";
import { interruptible } from "../interrupt.js";
import { createKernelView } from "../kernel-view.js";
import { collectSet, inputPath, parseDevice, parsePositiveInt, requireFile } from "../options.js";
import { timeoutHint } from "../verdict-text.js";
import type { SetExit } from "./index.js";

function parseAuthor(v: string): AuthorMode {
  if (v === "offline" || v === "model" || v === "auto") return v;
  throw new InvalidArgumentError("use offline, model or auto");
}

/** The options of `tritonize run`, as commander parses them. */
export interface RunFlags {
  problem?: string;
  route?: string;
  fallback?: boolean;
  resume?: string;
  jobs?: number;
  outputFormat?: string;
  fuserAttempts?: number;
  composerAttempts?: number;
  author?: AuthorMode;
  device: "auto" | "cuda" | "cpu";
  out: string;
  set: Record<string, string>;
  trials: number;
  timeout: number;
  workers?: number;
  rounds?: number;
  wallTime?: number;
  json?: boolean;
}

/** Declares run's options; each option is one line, so more can be added in place. */
export function runOptions(command: Command): Command {
  return command
    .option("--problem <file>", "KernelBench-format problem (Model, get_inputs, get_init_inputs)", inputPath)
    .option("--route <route>", "direct (one kernel file for the whole problem) | pipeline (regions, one kernel per unique subgraph, composed); default: decided from the source")
    .option("--no-fallback", "do not try the other route when the chosen one fails")
    .option("--resume <run-dir>", "continue a run that stopped: finished stages and verified kernels are reused")
    .option("--jobs <n>", "subgraphs authored at once", parsePositiveInt, 2)
    .option("--output-format <format>", "kernelbench (model_new.py with mapping.json) | composed", "kernelbench")
    .option("--fuser-attempts <n>", "model fuser: replies it may give for a forward the deterministic fuser does not cut", parsePositiveInt, 3)
    .option("--composer-attempts <n>", "model composer: replies it may give where the deterministic composer cannot compose", parsePositiveInt, 3)
    .option("--author <mode>", "offline (templates, no model) | model | auto (default: auto when a model provider is configured, else offline)", parseAuthor)
    .option("--device <device>", "auto | cuda | cpu (cpu runs Triton's interpreter)", parseDevice, "auto")
    .option("--out <dir>", "folder for run directories", ".tritonize/runs")
    .option("--set <name=value>", "override a module constant of the problem (repeatable)", collectSet, {})
    .option("--trials <n>", "verification trials with fresh inputs", parsePositiveInt, 5)
    .option("--timeout <seconds>", "wall-clock limit of one verification", parsePositiveInt, 300)
    .option("--workers <n>", "model-driven author: parallel workers (default: TRITONIZE_WORKERS or 4)", parsePositiveInt)
    .option("--rounds <n>", "model-driven author: rounds per worker (default: TRITONIZE_ROUNDS or 8)", parsePositiveInt)
    .option("--wall-time <seconds>", "model-driven author: wall-time budget (default 1800)", parsePositiveInt)
    .option("--json", "print only the result document");
}

export function register(program: Command, setExit: SetExit): void {
  runOptions(program.command("run"))
    .description("turn a PyTorch problem into verified Triton kernels and write the KernelBench ModelNew (model_new.py)")
    .addHelpText(
      "after",
      helpFooter(
        ["ok", "rejected", ...PROBLEM_STATUSES, "needsGpu", "environment", "interrupted"],
        "tritonize run --problem examples/offline/linear_epilogue.py",
        "model_new.py written and verified",
      ),
    )
    .action(async (o: RunFlags) => setExit(await runCommand(o)));
}

export async function runCommand(o: RunFlags): Promise<number> {
  const fail = (code: number, message: string) => {
    process.stderr.write(`tritonize run: ${message}\n`);
    return code;
  };
  const missing = o.resume ? null : o.problem ? requireFile(o.problem, "problem") : "--problem is required (or --resume RUN_DIR)";
  if (missing) return fail(EXIT.problemNotFound, missing);
  const routeOpts = parseRouteOptions(o as unknown as Record<string, unknown>);
  if (typeof routeOpts === "string") return fail(EXIT.usage, routeOpts);
  let config: TritonizeConfig;
  try {
    config = resolveConfig({ flags: { workers: o.workers, rounds: o.rounds } });
  } catch (err) {
    return fail(EXIT.usage, (err as Error).message);
  }
  const providerConfigured = Object.keys(config.providers).length > 0;
  // without a provider the offline author is the only one; with one, auto picks per graph
  const author: AuthorMode = o.author ?? (providerConfigured ? "auto" : "offline");
  if (author === "model" && !providerConfigured) {
    return fail(
      EXIT.usage,
      "--author model needs a language model provider: set OPENAI_API_KEY or ANTHROPIC_API_KEY (or OPENAI_BASE_URL for a compatible server) and TRITONIZE_MODEL, in the environment or .env (docs/providers.md)",
    );
  }
  return interruptible("run", async (signal) => {
    if (o.device === "cuda") {
      const env = await pythonEnvironment(undefined, signal);
      if (env.mode !== "cuda") return fail(EXIT.needsGpu, "--device cuda: no CUDA GPU is visible to the harness's Python; use --device cpu (Triton's interpreter) or auto");
    }
    const timeoutMs = o.timeout * 1000;
    const modelAuthor = providerConfigured
      ? kernelAgentAuthor(config, {
          device: o.device,
          trials: o.trials,
          sets: o.set,
          verifyTimeoutMs: timeoutMs,
          wallTimeMs: o.wallTime !== undefined ? o.wallTime * 1000 : undefined,
          // the agent's notable events, one plain line each, beside the run's own stage lines
          onEvent: createKernelView({ write: (t) => process.stderr.write(t), live: false }).onEvent,
        })
      : null;
    // the route decision's capture serves the direct route too, and the harness server starts
    // while it runs
    const capture = captureOnce();
    prewarmHarness(o.device);
    const result = await runPipeline(
      { problem: o.problem ?? "", sets: o.set, device: o.device, trials: o.trials, timeoutMs, outDir: o.out, author, signal, ...routeOpts },
      pipelineDeps({
        config: providerConfigured && author !== "offline" ? config : null,
        capture,
        direct: (r) =>
          runProblem(r, {
            capture,
            verify: verifyCandidate,
            checkProblem: (req) => checkProblem({ ...req, device: o.device }),
            modelAuthor,
            providerConfigured,
            // stages and the verifier's trials as they happen; stdout stays the result's
            onProgress: (line) => process.stderr.write(line),
          }),
        outDir: o.out,
        onEvent: (e) => {
          const line = eventLine(e);
          if (line) process.stderr.write(line + "\n");
        },
      }),
    );
    process.stdout.write(o.json ? JSON.stringify(result) + "\n" : renderRun(result) + "\n");
    return pipelineExit(result);
  });
}

/** The exit status of a run: a problem that does not load exits as it does for verify. */
export function pipelineExit(r: PipelineResult): number {
  if (r.ok) return EXIT.ok;
  if (r.direct) return runExit(r.direct);
  return r.status === "interrupted" ? EXIT.interrupted : EXIT.rejected;
}

export function runExit(r: RunResult): number {
  if (r.ok) return EXIT.ok;
  if (r.status === "interrupted") return EXIT.interrupted;
  return r.code ? exitFor({ ok: false, code: r.code }) : EXIT.rejected;
}

/** The direct route's own rendering (sizes, kernels, verdict) under the route line; else the pipeline's. */
function renderRun(r: PipelineResult): string {
  if (r.route === "direct" && r.direct) {
    const why = r.decision ? `  route: direct${r.decision.route !== "direct" ? " (fallback from pipeline)" : ""}; ${r.decision.reasons[0] ?? ""}` : null;
    return [render(r.direct), ...(why ? [why] : []), `  run: ${r.runDir} (route.json, events.jsonl, summary.json)`].join("\n");
  }
  return renderPipeline(r);
}

export function render(r: RunResult): string {
  const lines: string[] = [];
  const head = r.ok ? "VERIFIED" : r.status === "interrupted" ? "INTERRUPTED" : "NOT VERIFIED";
  lines.push(`${head}  ${r.ok ? r.message.replace(/^ACCEPTED:\s*/, "") : r.message}`);
  lines.push(`  problem: ${r.problem}`);
  const sets = Object.entries(r.sets ?? {}).map(([k, v]) => `${k}=${v}`);
  lines.push(`  sizes: ${sets.length ? sets.join(", ") : "the problem's own"}`);
  if (r.sizes) lines.push(`    ${r.sizes}`);
  if (r.author) lines.push(`  author: ${r.author}${r.kernels !== null ? `, ${r.kernels} Triton kernel${r.kernels === 1 ? "" : "s"}` : ""}`);
  for (const s of r.steps) lines.push(`    ${s}`);
  if (r.verdict) {
    const v = r.verdict;
    lines.push(`  device: ${v.device}${v.interpreter ? " (Triton interpreter)" : ""}, ${v.trials.length} trials, max abs err ${v.maxAbsErr ?? "n/a"}`);
    if (v.code === "timeout") lines.push(`  ${timeoutHint(v, r.sets ?? {})}`);
  }
  if (r.modelNew) lines.push(`  model_new.py: ${r.modelNew}${r.modelNewVerdict === "never verified" ? " (never verified)" : ""}`);
  lines.push(`  run directory: ${r.runDir} (README.md says what is where)`);
  return lines.join("\n");
}
