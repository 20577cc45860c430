import { copyFileSync, readFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import type { LanguageModel, Usage } from "../llm/types.js";
import { createRunDir, type EventListener, type RunDir } from "../runs/run-dir.js";
import type { RunContext, SeenCandidate, StopReason } from "./context.js";
import type { CheckProblemFn, Device, ProblemCheck, VerifyFn } from "./deps.js";
import { ProviderError, writeReference } from "./describe.js";
import { KernelResultSchema, type KernelResult } from "./result.js";
import { samplingPlan } from "./sampling.js";
import { bestAttempt, conclude, failureCounts, mostCommon } from "./summarize.js";
import { pythonSyntaxServer, type SyntaxChecker } from "./syntax-check.js";
import { runWorker, type WorkerReport } from "./worker.js";
import { CANDIDATE_ENTRIES, wrapKernelFunction } from "./wrap.js";
import { problemFacts, type ProblemFacts } from "./problem-facts.js";
import type { Verdict } from "../harness/verdict.js";

/**
 * The kernel agent: N workers race to a verified Triton implementation of one problem. The first
 * verified candidate wins and every other worker is stopped (model requests aborted,
 * verifications killed). Budgets bound rounds per worker, wall time and tokens; the result says
 * which one ran out, with the best attempt. Everything is recorded in the run directory.
 */

export interface KernelAgentOptions {
  /** path of a KernelBench-format problem file; or give `description` */
  problem?: string;
  /** a plain-language description; the model first writes a reference problem from it */
  description?: string;
  model: LanguageModel;
  /** the harness's verifier (src/harness/verify.ts) or a scripted one */
  verify: VerifyFn;
  /** loads and runs a problem once; required with `description` */
  checkProblem?: CheckProblemFn;
  /** syntax pre-check; default: a bare Python interpreter parses the candidate */
  checkSyntax?: SyntaxChecker;
  workers?: number;
  /** rounds per worker */
  rounds?: number;
  /** wall-time budget for the whole run, ms; null for none */
  wallTimeMs?: number | null;
  /** token budget (input + output) for the whole run; null for none */
  maxTokens?: number | null;
  device?: Device;
  trials?: number;
  sets?: Record<string, string>;
  verifyTimeoutMs?: number;
  /** folder that receives the run directory (default .tritonize/runs) */
  out?: string;
  runId?: string;
  /** `module`: the candidate defines ModelNew; `function`: kernel_function(*inputs) */
  form?: "module" | "function";
  temperatures?: number[];
  maxOutputTokens?: number;
  /** how many earlier attempts a worker's prompt summarises */
  historySize?: number;
  referenceAttempts?: number;
  signal?: AbortSignal;
  onEvent?: EventListener;
  progressIntervalMs?: number;
}

export const DEFAULTS = {
  workers: 4,
  rounds: 8,
  wallTimeMs: 30 * 60_000,
  maxTokens: 2_000_000,
  historySize: 3,
  referenceAttempts: 3,
} as const;

export async function runKernelAgent(options: KernelAgentOptions): Promise<KernelResult> {
  if (!options.problem === !options.description) {
    throw new Error("give exactly one of a problem file (problem) or a description");
  }
  if (options.description && !options.checkProblem) {
    throw new Error("a description needs checkProblem to load and run the reference the model writes");
  }
  const workers = options.workers ?? DEFAULTS.workers;
  const rounds = options.rounds ?? DEFAULTS.rounds;
  if (!Number.isInteger(workers) || workers < 1) throw new Error(`workers must be a positive integer, got ${workers}`);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`rounds must be a positive integer, got ${rounds}`);
  const wallTimeMs = options.wallTimeMs === undefined ? DEFAULTS.wallTimeMs : options.wallTimeMs;
  const maxTokens = options.maxTokens === undefined ? DEFAULTS.maxTokens : options.maxTokens;
  const device = options.device ?? "auto";
  const form = options.form ?? "module";
  // A syntax server made here is closed here; one passed in belongs to the caller.
  const syntaxServer = options.checkSyntax ? null : pythonSyntaxServer();
  const checkSyntax = options.checkSyntax ?? syntaxServer!.check;
  const started = Date.now();

  let problemSource = "";
  if (options.problem) {
    try {
      problemSource = readFileSync(options.problem, "utf8");
    } catch (err) {
      throw new Error(`cannot read the problem file ${options.problem}: ${(err as Error).message}`);
    }
  }

  const run = createRunDir({ out: options.out, id: options.runId });
  if (options.onEvent) run.subscribe(options.onEvent);
  const controller = new AbortController();
  const stop = (reason: StopReason) => {
    if (!controller.signal.aborted) controller.abort(reason);
  };
  const onExternal = () => stop({ kind: "external" });
  if (options.signal?.aborted) onExternal();
  options.signal?.addEventListener("abort", onExternal, { once: true });
  const wallTimer =
    wallTimeMs === null
      ? null
      : setTimeout(() => {
          if (controller.signal.aborted) return;
          run.emit("budget-exhausted", { stage: "kernel", worker: null, round: null }, {
            budget: "wall-time",
            detail: `${wallTimeMs} ms elapsed`,
          });
          stop({ kind: "wall-time" });
        }, wallTimeMs);

  const usage: Usage = { inputTokens: 0, outputTokens: 0 };
  let tokensSpent = false;
  const addUsage = (u: Usage) => {
    usage.inputTokens += u.inputTokens;
    usage.outputTokens += u.outputTokens;
    if (!tokensSpent && maxTokens !== null && usage.inputTokens + usage.outputTokens >= maxTokens) {
      tokensSpent = true;
      run.emit("budget-exhausted", { stage: "kernel", worker: null, round: null }, {
        budget: "tokens",
        detail: `${usage.inputTokens + usage.outputTokens} of ${maxTokens} tokens used; no new requests`,
      });
    }
  };

  run.emit("run-started", { stage: "kernel", worker: null, round: null }, {
    runId: run.id,
    runDir: run.dir,
    problem: options.problem ? resolve(options.problem) : null,
    description: options.description ?? null,
    workers,
    rounds,
    wallTimeMs,
    maxTokens,
    provider: options.model.provider,
    model: options.model.model,
    device,
  });

  const errors: string[] = [];
  let problemPath = join(run.dir, "problem.py");
  let reports: WorkerReport[] = [];
  let winner: { worker: number; round: number } | null = null;
  let setupFailure: { status: "provider-error" | "failed" | "aborted"; message: string; problemCode?: string | null } | null = null;
  let facts: ProblemFacts | null = null;

  try {
    // The reference every verdict is against, kept in the run directory so the run is auditable.
    if (options.description) {
      try {
        const ref = await writeReference({
          description: options.description,
          model: options.model,
          checkProblem: options.checkProblem!,
          checkSyntax,
          run,
          device,
          sets: options.sets,
          attempts: options.referenceAttempts ?? DEFAULTS.referenceAttempts,
          signal: controller.signal,
          addUsage,
        });
        problemPath = ref.path;
        problemSource = ref.source;
        facts = problemFacts(ref.check, options.sets);
      } catch (err) {
        const message = (err as Error).message;
        if (controller.signal.aborted) {
          const reason = controller.signal.reason as StopReason;
          setupFailure = { status: reason.kind === "external" ? "aborted" : "failed", message: `stopped while writing the reference problem (${reason.kind})` };
        } else {
          setupFailure = { status: err instanceof ProviderError ? "provider-error" : "failed", message };
        }
        errors.push(setupFailure.message);
      }
    } else {
      problemPath = run.writeFile("problem.py", problemSource);
      if (options.checkProblem) {
        // Once, before any model round: a problem that does not load, or whose reference is not
        // deterministic, is the problem's failure; no round could pass against it.
        const checked = await checkReference(options.checkProblem, problemPath, options.sets, device, controller.signal);
        if (checked.ok) facts = problemFacts(checked.check, options.sets);
        else {
          setupFailure = checked.failure;
          errors.push(checked.failure.message);
        }
      }
    }

    if (!setupFailure) {
      const seen = new Map<string, SeenCandidate>();
      const ctx: RunContext = {
        run,
        model: options.model,
        verify: options.verify,
        checkSyntax,
        problemPath,
        problemSource,
        problemName: options.problem ? basename(options.problem) : "reference.py",
        form,
        // a module is asked for; a kernel_function, which verify accepts too, is wrapped into one
        entry: form === "function" ? "kernel_function" : CANDIDATE_ENTRIES.join("|"),
        device,
        trials: options.trials,
        sets: options.sets,
        verifyTimeoutMs: options.verifyTimeoutMs,
        rounds,
        historySize: options.historySize ?? DEFAULTS.historySize,
        maxOutputTokens: options.maxOutputTokens,
        signal: controller.signal,
        seen,
        addUsage,
        tokensLeft: () => !tokensSpent,
        claimWin: (worker, round) => {
          if (winner) return false;
          winner = { worker, round };
          stop({ kind: "winner", worker, round });
          return true;
        },
        progressIntervalMs: options.progressIntervalMs ?? 500,
        facts,
      };
      const plan = samplingPlan(workers, options.temperatures);
      reports = await Promise.all(
        plan.map((sampling, i) =>
          runWorker(ctx, i + 1, sampling).catch((err: unknown): WorkerReport => {
            // An unexpected failure inside one worker ends that worker only, and is reported.
            const message = `worker ${i + 1} stopped on an internal error: ${(err as Error).stack ?? String(err)}`;
            run.emit("worker-finished", { stage: "kernel", worker: i + 1, round: null }, { outcome: "error", rounds: 0, message });
            return { worker: i + 1, sampling, rounds: 0, outcome: "error", message, attempts: [], win: null };
          }),
        ),
      );
    }
  } finally {
    if (wallTimer) clearTimeout(wallTimer);
    syntaxServer?.close();
    options.signal?.removeEventListener("abort", onExternal);
  }

  for (const r of reports) {
    if ((r.outcome === "provider-error" || r.outcome === "error") && r.message) errors.push(r.message);
  }
  const attempts = reports.flatMap((r) => r.attempts).sort((a, b) => a.seq - b.seq);
  const counts = failureCounts(attempts);
  const best = bestAttempt(attempts);
  const reason = controller.signal.reason as StopReason | undefined;
  const stoppedBy = reason?.kind === "wall-time" || reason?.kind === "external" ? reason.kind : null;
  const conclusion = setupFailure
    ? { status: setupFailure.status, exhausted: null, message: `No kernel verified: ${setupFailure.message}` }
    : conclude({ reports, winner, stoppedBy, tokensSpent, best, counts, errors, rounds });

  const winReport = reports.find((r) => r.win !== null);
  let winnerDoc: KernelResult["winner"] = null;
  let conclusionFinal = conclusion;
  if (winReport?.win) {
    const delivered = await deliverKernel(run, winReport.win, options, problemPath, form);
    winnerDoc = {
      worker: winReport.worker,
      round: winReport.win.round,
      kernelPath: delivered.kernelPath,
      kernelVerdictPath: delivered.verdictPath,
      wrapped: delivered.wrapped,
      candidatePath: winReport.win.candidatePath,
      verdictPath: winReport.win.verdictPath,
      hash: winReport.win.hash,
      maxAbsErr: winReport.win.verdict.maxAbsErr,
    };
    if (!delivered.verdict.ok) {
      conclusionFinal = {
        status: "failed",
        exhausted: null,
        message: `No kernel verified: the verified kernel_function, wrapped into ModelNew (${delivered.kernelPath}), was rejected: ${delivered.verdict.message}`,
      };
      winnerDoc = null;
    }
  }
  const elapsedMs = Date.now() - started;
  const result: KernelResult = KernelResultSchema.parse({
    schema: "tritonize.kernel-result/1",
    status: conclusionFinal.status,
    message: conclusionFinal.message,
    runId: run.id,
    runDir: run.dir,
    eventsPath: run.eventsPath,
    problem: problemPath,
    description: options.description ?? null,
    provider: options.model.provider,
    model: options.model.model,
    device,
    winner: winnerDoc,
    elapsedMs,
    usage,
    budgets: { rounds, wallTimeMs, maxTokens },
    exhausted: conclusionFinal.exhausted,
    roundsRun: reports.reduce((s, r) => s + r.rounds, 0),
    workers: reports.map((r) => ({
      worker: r.worker,
      temperature: r.sampling.temperature,
      variant: r.sampling.variant,
      rounds: r.rounds,
      outcome: r.outcome,
      lastStage: r.attempts.at(-1)?.stage ?? null,
      message: r.message,
    })),
    bestAttempt: best,
    problemCode: setupFailure?.problemCode ?? null,
    failureStages: counts,
    commonFailureStage: mostCommon(counts),
    errors,
  });
  const resultPath = run.writeResult(result);
  run.emit("run-finished", { stage: "kernel", worker: null, round: null }, {
    status: result.status,
    resultPath,
    winner: winnerDoc ? { worker: winnerDoc.worker, round: winnerDoc.round, path: winnerDoc.kernelPath } : null,
    elapsedMs,
    usage,
    message: result.message,
  });
  return result;
}

/**
 * kernel.py, the deliverable: the winning candidate itself, or, when it defines kernel_function
 * where a module was asked for, the candidate wrapped into ModelNew and verified as such.
 */
async function deliverKernel(
  run: RunDir,
  win: NonNullable<WorkerReport["win"]>,
  options: KernelAgentOptions,
  problemPath: string,
  form: "module" | "function",
): Promise<{ kernelPath: string; verdictPath: string; verdict: Verdict; wrapped: boolean }> {
  const kernelPath = join(run.dir, "kernel.py");
  const wrapped = form === "module" ? wrapKernelFunction(win.code) : null;
  if (wrapped === null) {
    copyFileSync(win.candidatePath, kernelPath);
    return { kernelPath, verdictPath: win.verdictPath, verdict: win.verdict, wrapped: false };
  }
  run.writeFile("kernel.py", wrapped);
  const verdict = await options.verify({
    problem: problemPath,
    candidate: kernelPath,
    device: options.device ?? "auto",
    trials: options.trials,
    sets: options.sets,
    timeoutMs: options.verifyTimeoutMs,
    signal: options.signal,
  });
  const verdictPath = run.writeFile("kernel.verdict.json", JSON.stringify(verdict, null, 2) + "\n");
  return { kernelPath, verdictPath, verdict, wrapped: true };
}

async function checkReference(
  check: CheckProblemFn,
  problem: string,
  sets: Record<string, string> | undefined,
  device: Device,
  signal: AbortSignal,
): Promise<{ ok: true; check: ProblemCheck } | { ok: false; failure: { status: "failed" | "aborted"; message: string; problemCode: string | null } }> {
  try {
    const report = await check({ problem, sets, device, signal });
    if (report.ok) return { ok: true, check: report };
    const code = report.code ?? null;
    return {
      ok: false,
      failure: {
        status: "failed",
        problemCode: code,
        message: `the problem itself fails${code ? ` (${code})` : ""}, so no kernel can be verified against it: ${report.message}. Fix the problem file; no model round was run.`,
      },
    };
  } catch (err) {
    if (signal.aborted) return { ok: false, failure: { status: "aborted", problemCode: null, message: "stopped while checking the problem" } };
    return { ok: false, failure: { status: "failed", problemCode: null, message: `checking the problem failed: ${(err as Error).message}` } };
  }
}
