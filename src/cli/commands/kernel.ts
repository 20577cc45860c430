import { Option, type Command } from "commander";
import type { LanguageModel } from "../../llm/types.js";
import { runKernelAgent, DEFAULTS } from "../../agent/agent.js";
import type { CheckProblemFn, Device, VerifyFn } from "../../agent/deps.js";
import { createKernelView } from "../kernel-view.js";
import type { RegisterCommand, SetExit } from "./index.js";

/**
 * `tritonize kernel`: N workers write, verify and refine a Triton kernel for one problem until one
 * is verified. Exit 0 only when a kernel was verified; 1 when none was; 130 when interrupted.
 */

export interface KernelCommandDeps {
  /** Builds the model for the kernel stage (`--model` when given, else the configured one). */
  createModel(name: string | undefined): LanguageModel | Promise<LanguageModel>;
  verify: VerifyFn;
  checkProblem: CheckProblemFn;
  stdout: { write(text: string): unknown; isTTY?: boolean };
  stderr: { write(text: string): unknown };
}

function positiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got "${value}"`);
    return n;
  };
}

function collectSet(value: string, previous: Record<string, string>): Record<string, string> {
  const eq = value.indexOf("=");
  if (eq < 1) throw new Error(`--set takes NAME=VALUE (a module constant of the problem), got "${value}"`);
  return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) };
}

interface KernelFlags {
  problem?: string;
  description?: string;
  workers: number;
  rounds: number;
  model?: string;
  device: Device;
  out?: string;
  json?: boolean;
  wallTime?: number;
  maxTokens?: number;
  trials?: number;
  set: Record<string, string>;
}

export function kernelCommand(deps: KernelCommandDeps): RegisterCommand {
  return (program: Command, setExit: SetExit) => {
    program
      .command("kernel")
      .description("Write, verify and refine Triton kernels for one problem with parallel workers until one is verified.")
      .option("--problem <file>", "problem file in KernelBench format (Model, get_inputs, get_init_inputs)")
      .option("--description <text>", "plain-language description; a reference problem is written and checked first")
      .option("--workers <n>", "parallel workers", positiveInt("--workers"), DEFAULTS.workers)
      .option("--rounds <n>", "rounds per worker", positiveInt("--rounds"), DEFAULTS.rounds)
      .option("--model <name>", "model for the kernel stage (default: the configured one)")
      .addOption(new Option("--device <device>", "where candidates run").choices(["auto", "cuda", "cpu"]).default("auto"))
      .option("--out <dir>", "folder that receives the run directory", ".tritonize/runs")
      .option("--json", "print the result document (result.json) on stdout; progress goes to stderr")
      .option("--wall-time <seconds>", "wall-time budget for the run", positiveInt("--wall-time"))
      .option("--max-tokens <n>", "token budget (input + output) for the run", positiveInt("--max-tokens"))
      .option("--trials <n>", "fresh-input trials per verification (default: the harness's)", positiveInt("--trials"))
      .option("--set <name=value>", "override a module constant of the problem (repeatable)", collectSet, {})
      .action(async (flags: KernelFlags) => {
        setExit(await runKernelCommand(flags, deps));
      });
  };
}

export async function runKernelCommand(flags: KernelFlags, deps: KernelCommandDeps): Promise<number> {
  if (!flags.problem === !flags.description) {
    deps.stderr.write("tritonize kernel: give exactly one of --problem <file> or --description <text>\n");
    return 2;
  }
  let model: LanguageModel;
  try {
    model = await deps.createModel(flags.model);
  } catch (err) {
    deps.stderr.write(`tritonize kernel: ${(err as Error).message}\n`);
    return 1;
  }
  // With --json, stdout carries only the document; the progress view moves to stderr.
  const viewStream = flags.json ? deps.stderr : deps.stdout;
  const view = createKernelView({
    write: (t) => viewStream.write(t),
    live: !flags.json && deps.stdout.isTTY === true,
  });
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once("SIGINT", onSigint);
  try {
    const result = await runKernelAgent({
      problem: flags.problem,
      description: flags.description,
      model,
      verify: deps.verify,
      checkProblem: deps.checkProblem,
      workers: flags.workers,
      rounds: flags.rounds,
      device: flags.device,
      out: flags.out,
      wallTimeMs: flags.wallTime !== undefined ? flags.wallTime * 1000 : undefined,
      maxTokens: flags.maxTokens,
      trials: flags.trials,
      sets: Object.keys(flags.set).length > 0 ? flags.set : undefined,
      signal: controller.signal,
      onEvent: (e) => view.onEvent(e),
    });
    view.close();
    if (flags.json) deps.stdout.write(JSON.stringify(result, null, 2) + "\n");
    if (result.status === "verified") {
      if (!flags.json) deps.stdout.write(`kernel: ${result.winner!.kernelPath}\n`);
      return 0;
    }
    // Failures are said on stderr too, so a provider problem is never only inside a JSON field.
    deps.stderr.write(`tritonize kernel: ${result.message}\n`);
    if (result.status === "aborted") return 130;
    return 1;
  } catch (err) {
    view.close();
    deps.stderr.write(`tritonize kernel: ${(err as Error).message}\n`);
    return 1;
  } finally {
    process.removeListener("SIGINT", onSigint);
  }
}
