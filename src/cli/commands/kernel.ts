import { existsSync } from "node:fs";
import { EXIT } from "../exit-codes.js";
import { Option, type Command } from "commander";
import type { LanguageModel } from "../../llm/types.js";
import { runKernelAgent, DEFAULTS } from "../../agent/agent.js";
import type { CheckProblemFn, Device, VerifyFn } from "../../agent/deps.js";
import { createKernelView } from "../kernel-view.js";
import type { RegisterCommand, SetExit } from "./index.js";
import { resolveConfig, type TritonizeConfig } from "../../config/config.js";
import { createModel } from "../../config/create-model.js";
import { DEFAULT_RUNS_DIR, newRunId } from "../../runs/run-dir.js";
import { join, resolve } from "node:path";
import { verifyCandidate } from "../../harness/verify.js";
import { checkProblem } from "../../harness/check-problem.js";
import { exitFor, helpFooter } from "../exit-codes.js";
import { onInterrupt, type SignalSource } from "../interrupt.js";
import { collectSet } from "../options.js";

/**
 * `tritonize kernel`: N workers write, verify and refine a Triton kernel for one problem until one
 * is verified. Exit 0 only when a kernel was verified; 1 when none was; 130 when interrupted.
 */

export interface KernelCommandDeps {
  /** the harness's verifier and problem check (src/harness), or scripted ones in tests */
  verify: VerifyFn;
  checkProblem: CheckProblemFn;
  /** where configuration is read from (default: process.env and the working directory) */
  env?: Record<string, string | undefined>;
  cwd?: string;
  fetch?: typeof fetch;
  /** builds the kernel stage's model; default: the configured provider, recording every request */
  createModel?: (config: TritonizeConfig, recordDir: string) => LanguageModel;
  stdout?: { write(text: string): unknown; isTTY?: boolean };
  stderr?: { write(text: string): unknown };
  /** where SIGINT and SIGTERM come from (default: this process) */
  signals?: SignalSource;
}

function positiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got "${value}"`);
    return n;
  };
}

interface KernelFlags {
  problem?: string;
  description?: string;
  workers?: number;
  rounds?: number;
  model?: string;
  device: Device;
  out?: string;
  json?: boolean;
  wallTime?: number;
  maxTokens?: number;
  trials?: number;
  timeout?: number;
  set?: Record<string, string>;
}

export function kernelCommand(deps: KernelCommandDeps): RegisterCommand {
  return (program: Command, setExit: SetExit) => {
    program
      .command("kernel")
      .description("Write, verify and refine Triton kernels for one problem with parallel workers until one is verified.")
      .option("--problem <file>", "problem file in KernelBench format (Model, get_inputs, get_init_inputs)")
      .option("--description <text>", "plain-language description; a reference problem is written and checked first")
      .option("--workers <n>", `parallel workers (default: TRITONIZE_WORKERS or ${DEFAULTS.workers})`, positiveInt("--workers"))
      .option("--rounds <n>", `rounds per worker (default: TRITONIZE_ROUNDS or ${DEFAULTS.rounds})`, positiveInt("--rounds"))
      .option("--model <name>", "model for the kernel stage (default: the configured one)")
      .addOption(new Option("--device <device>", "where candidates run").choices(["auto", "cuda", "cpu"]).default("auto"))
      .option("--out <dir>", "folder that receives the run directory", DEFAULT_RUNS_DIR)
      .option("--json", "print the result document (result.json) on stdout; progress goes to stderr")
      .option("--wall-time <seconds>", "wall-time budget for the run", positiveInt("--wall-time"))
      .option("--max-tokens <n>", "token budget (input + output) for the run", positiveInt("--max-tokens"))
      .option("--trials <n>", "fresh-input trials per verification (default: the harness's)", positiveInt("--trials"))
      .option("--timeout <seconds>", "wall-clock limit of one verification (default 120)", positiveInt("--timeout"))
      .option("--set <name=value>", "override a module constant of the problem (repeatable)", collectSet)
      .addHelpText(
        "after",
        helpFooter(
          ["ok", "rejected", "usage", "problemNotFound", "problemRaised", "interrupted"],
          "tritonize kernel --problem examples/problems/01_swish_bias.py --workers 2 --rounds 4 --device cpu --set batch_size=13 --set dim=257",
          "a kernel verified",
        ) + "Configuration: the model and provider come from TRITONIZE_MODEL and the provider's key (docs/providers.md).\n",
      )
      .action(async (flags: KernelFlags) => {
        setExit(await runKernelCommand(flags, deps));
      });
  };
}

export async function runKernelCommand(flags: KernelFlags, deps: KernelCommandDeps): Promise<number> {
  const stdout = deps.stdout ?? process.stdout;
  const stderr = deps.stderr ?? process.stderr;
  if (!flags.problem === !flags.description) {
    stderr.write("tritonize kernel: give exactly one of --problem <file> or --description <text>\n");
    return 2;
  }
  if (flags.problem && !existsSync(flags.problem)) {
    stderr.write(`tritonize kernel: problem not found: ${resolve(flags.problem)}\n`);
    return EXIT.problemNotFound;
  }
  // The run id is chosen here so the model's request records land inside the run directory.
  const out = flags.out ?? DEFAULT_RUNS_DIR;
  const runId = newRunId();
  let model: LanguageModel;
  let config: TritonizeConfig;
  try {
    config = resolveConfig({ env: deps.env, cwd: deps.cwd, flags: { model: flags.model, workers: flags.workers, rounds: flags.rounds } });
    const recordDir = join(out, runId, "requests");
    model = deps.createModel
      ? deps.createModel(config, recordDir)
      : createModel(config, "kernel", { record: recordDir, ...(deps.fetch ? { fetch: deps.fetch } : {}) });
  } catch (err) {
    stderr.write(`tritonize kernel: ${(err as Error).message}\n`);
    return 1;
  }
  // With --json, stdout carries only the document; the progress view moves to stderr.
  const viewStream = flags.json ? stderr : stdout;
  const view = createKernelView({
    write: (t) => viewStream.write(t),
    live: !flags.json && stdout.isTTY === true,
  });
  const interrupt = onInterrupt(deps.signals ?? process, stderr);
  try {
    const result = await runKernelAgent({
      problem: flags.problem,
      description: flags.description,
      model,
      verify: deps.verify,
      checkProblem: deps.checkProblem,
      workers: config.workers,
      rounds: config.rounds,
      device: flags.device,
      out,
      runId,
      wallTimeMs: flags.wallTime !== undefined ? flags.wallTime * 1000 : undefined,
      maxTokens: flags.maxTokens,
      trials: flags.trials,
      sets: flags.set,
      verifyTimeoutMs: flags.timeout !== undefined ? flags.timeout * 1000 : undefined,
      signal: interrupt.signal,
      onEvent: (e) => view.onEvent(e),
    });
    view.close();
    if (flags.json) stdout.write(JSON.stringify(result, null, 2) + "\n");
    if (result.status === "verified") {
      if (!flags.json) stdout.write(`kernel: ${result.winner!.kernelPath}\n`);
      return 0;
    }
    // Failures are said on stderr too, so a provider problem is never only inside a JSON field.
    stderr.write(`tritonize kernel: ${result.message}\n`);
    if (result.status === "aborted") return EXIT.interrupted;
    // a problem that fails its check ends with the problem's own status, as verify does
    return result.problemCode ? exitFor({ ok: false, code: result.problemCode }) : EXIT.rejected;
  } catch (err) {
    view.close();
    stderr.write(`tritonize kernel: ${(err as Error).message}\n`);
    return 1;
  } finally {
    interrupt.dispose();
  }
}

/** The command as the CLI registers it: the harness's own verifier and problem check. */
export const register: RegisterCommand = kernelCommand({ verify: verifyCandidate, checkProblem });
