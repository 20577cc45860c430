import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Message } from "../llm/types.js";
import { isLlmError, renderProviderError } from "../llm/errors.js";
import type { Verdict } from "../harness/verdict.js";
import type { WorkerOutcome } from "../runs/events.js";
import { renderPrompt } from "../prompts/render.js";
import type { RunContext, StopReason } from "./context.js";
import { extractCode } from "./extract-code.js";
import { renderFeedback, summarizeVerdict } from "./feedback.js";
import { candidateHash } from "./normalize.js";
import type { WorkerSampling } from "./sampling.js";

/**
 * One worker: prompt → model → code → checks → verifier → feedback, round after round, until its
 * candidate passes, its rounds run out, or the run stops. Its history is its own; nothing from
 * another worker's failures enters its prompts (only the fact that a candidate was already tried).
 */

export interface Attempt {
  worker: number;
  round: number;
  /** the verdict's stage, or the rejection that kept the reply from the verifier */
  stage: string;
  summary: string;
  candidatePath: string | null;
  verdictPath: string | null;
  maxAbsErr: number | null;
  /** order in which attempts finished across the run */
  seq: number;
}

export interface WorkerReport {
  worker: number;
  sampling: WorkerSampling;
  rounds: number;
  outcome: WorkerOutcome;
  message: string | null;
  attempts: Attempt[];
  win: { round: number; candidatePath: string; verdictPath: string; hash: string; code: string; verdict: Verdict } | null;
}

interface Previous {
  round: number;
  candidate: string | null;
  feedback: string;
}

let attemptSeq = 0;

/**
 * The harness leaves its logs and the saved inputs and outputs (.pt) in its work directory. The
 * logs stay for the record; the tensors can be hundreds of MB at real sizes and go.
 */
function removeTensorFiles(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) if (name.endsWith(".pt")) rmSync(join(dir, name), { force: true });
}

function stopOutcome(signal: AbortSignal): WorkerOutcome {
  const reason = signal.reason as StopReason | undefined;
  return reason?.kind === "wall-time" ? "budget-exhausted" : "cancelled";
}

function isAbort(err: unknown, signal: AbortSignal): boolean {
  return signal.aborted || (err as { name?: string })?.name === "AbortError";
}

export async function runWorker(ctx: RunContext, worker: number, sampling: WorkerSampling): Promise<WorkerReport> {
  const report: WorkerReport = { worker, sampling, rounds: 0, outcome: "rounds-exhausted", message: null, attempts: [], win: null };
  const meta = (round: number | null) => ({ stage: "kernel" as const, worker, round });
  const system = renderPrompt("kernel-system", { form: ctx.form, facts: ctx.facts });
  const history: { round: number; summary: string }[] = [];
  let previous: Previous | null = null;
  // the last round that produced a file, kept when a later reply has none
  let lastFile: Previous | null = null;
  let historyDropped = 0;

  ctx.run.emit("worker-started", meta(null), {
    temperature: sampling.temperature,
    variant: sampling.variant,
    dir: ctx.run.workerDir(worker),
  });

  const finish = (outcome: WorkerOutcome, message: string | null): WorkerReport => {
    report.outcome = outcome;
    report.message = message;
    ctx.run.emit("worker-finished", meta(null), { outcome, rounds: report.rounds, message });
    return report;
  };
  const record = (round: number, stage: string, summary: string, extra: Partial<Attempt> = {}) => {
    report.attempts.push({
      worker,
      round,
      stage,
      summary,
      candidatePath: null,
      verdictPath: null,
      maxAbsErr: null,
      seq: attemptSeq++,
      ...extra,
    });
    history.push({ round, summary });
    if (history.length > ctx.historySize) {
      history.shift();
      historyDropped++;
    }
  };

  for (let round = 1; round <= ctx.rounds; round++) {
    if (ctx.signal.aborted) return finish(stopOutcome(ctx.signal), null);
    if (!ctx.tokensLeft()) return finish("budget-exhausted", "the token budget is spent");
    report.rounds = round;
    ctx.run.emit("round-started", meta(round), { dir: ctx.run.roundDir(worker, round) });

    // 1. Prompt: the problem, this worker's approach, its recent history, its last attempt in full.
    const user = renderPrompt("kernel-round", {
      problemName: ctx.problemName,
      problemSource: ctx.problemSource.trimEnd(),
      form: ctx.form,
      variant: sampling.variant,
      history: previous ? history.slice(0, -1) : history,
      historyDropped,
      previous,
      lastFile: previous && previous.candidate === null && lastFile ? lastFile : null,
      facts: ctx.facts,
    });
    const messages: Message[] = [
      { role: "system", content: system },
      { role: "user", content: user },
    ];
    const promptPath = ctx.run.writeRoundFile(worker, round, "prompt.md", `# system\n\n${system}\n# user\n\n${user}`);
    ctx.run.emit("model-request", meta(round), { promptPath, promptChars: system.length + user.length });

    // 2. Model: streamed, abortable; a provider failure ends this worker and is reported.
    let chars = 0;
    let lastProgress = 0;
    let text: string;
    let finishReason: string;
    try {
      const result = await ctx.model.generate({
        messages,
        n: 1,
        sampling: { temperature: sampling.temperature, maxOutputTokens: ctx.maxOutputTokens },
        signal: ctx.signal,
        onRetry: (info) => {
          chars = 0;
          ctx.run.emit("model-retry", meta(round), {
            attempt: info.attempt,
            delayMs: info.delayMs,
            message: renderProviderError(info.error),
          });
        },
        onDelta: (delta) => {
          chars += delta.length;
          const now = Date.now();
          if (now - lastProgress >= ctx.progressIntervalMs) {
            lastProgress = now;
            ctx.run.emit("model-progress", meta(round), { chars });
          }
        },
      });
      ctx.addUsage(result.usage);
      const sample = result.samples[0];
      if (!sample) throw new Error(`${result.provider} returned no sample`);
      text = sample.text;
      finishReason = sample.finishReason;
      const replyPath = ctx.run.writeRoundFile(worker, round, "reply.md", text);
      for (const w of result.warnings) ctx.run.emit("model-warning", meta(round), w);
      ctx.run.emit("model-reply", meta(round), {
        replyPath,
        chars: text.length,
        finishReason,
        usage: result.usage,
        latencyMs: result.latencyMs,
        retries: result.retries,
      });
    } catch (err) {
      if (isAbort(err, ctx.signal)) return finish(stopOutcome(ctx.signal), null);
      // A provider's own error already names provider and model; anything else gets them added.
      const message = isLlmError(err) ? err.message : `${ctx.model.provider} (${ctx.model.model}) failed: ${(err as Error).message ?? String(err)}`;
      ctx.run.emit("model-error", meta(round), { message, provider: ctx.model.provider, model: ctx.model.model });
      return finish("provider-error", message);
    }

    // 3. Code: extracted, parsed, checked for the entry point, compared with everything tried so far.
    const reject = (
      reason: "no-code" | "truncated" | "syntax" | "missing-entry" | "duplicate",
      message: string,
      line: number | null,
      candidate: string | null,
      summary: string = message.split("\n")[0]!.replace(/\*\*/g, "").slice(0, 200),
    ) => {
      ctx.run.emit("candidate-rejected", meta(round), { reason, message, line });
      record(round, reason, `${reason}: ${summary}`);
      previous = { round, candidate: candidate?.trimEnd() ?? null, feedback: message };
      if (previous.candidate !== null) lastFile = previous;
    };
    const extracted = extractCode(text);
    if (!extracted.ok) {
      const note = finishReason === "length" ? " The reply hit the output-token limit." : "";
      reject(extracted.reason, extracted.message + note, null, null);
      continue;
    }
    const code = extracted.code;
    try {
      const syntax = await ctx.checkSyntax(code, ctx.entry);
      if (!syntax.ok) {
        const lineText = syntax.line !== null ? code.split("\n")[syntax.line - 1]?.trim() : undefined;
        const where = syntax.line !== null ? ` at line ${syntax.line}${lineText !== undefined ? `: \`${lineText}\`` : ""}` : "";
        const message =
          syntax.reason === "syntax"
            ? `**Failed before running: the file is not valid Python.** ${syntax.message}${where}.`
            : `**Failed before running: ${syntax.message}.** Define ${ctx.entry.split("|").map((e) => `\`${e}\``).join(" or ")} at the top level of the file.`;
        ctx.run.writeRoundFile(worker, round, "candidate.py", code);
        reject(syntax.reason, message, syntax.line, code, `${syntax.message}${syntax.line !== null ? ` at line ${syntax.line}` : ""}`);
        continue;
      }
    } catch (err) {
      if (isAbort(err, ctx.signal)) return finish(stopOutcome(ctx.signal), null);
      throw err;
    }
    const hash = candidateHash(code);
    const seen = ctx.seen.get(hash);
    if (seen) {
      // Another worker's verdict stays with that worker: only the fact of the repeat is shared.
      const own = seen.worker === worker;
      const whose = own ? `your round ${seen.round}` : "a file another worker already submitted";
      const outcome = !own ? "" : seen.summary === null ? " It is being verified right now." : ` It failed: ${seen.summary}.`;
      reject(
        "duplicate",
        `**Not run: this file is the same as ${whose}** (ignoring blank lines and comments).${outcome} Running it again would tell nothing new: write a different implementation.`,
        null,
        code,
        own ? `same as round ${seen.round}, not run` : "same as another worker's file, not run",
      );
      continue;
    }
    const entry = { worker, round, summary: null as string | null };
    ctx.seen.set(hash, entry);
    const candidatePath = ctx.run.writeRoundFile(worker, round, "candidate.py", code);
    ctx.run.emit("candidate", meta(round), { path: candidatePath, hash, lines: code.split("\n").length - 1 });

    // 4. Verify: the harness is the only judge; aborting the signal kills its process group.
    ctx.run.emit("verify-started", meta(round), { candidatePath });
    let verdict: Verdict;
    const harnessDir = join(ctx.run.roundDir(worker, round), "harness");
    try {
      verdict = await ctx.verify({
        problem: ctx.problemPath,
        candidate: candidatePath,
        device: ctx.device,
        trials: ctx.trials,
        sets: ctx.sets,
        timeoutMs: ctx.verifyTimeoutMs,
        workDir: harnessDir,
        signal: ctx.signal,
      });
    } catch (err) {
      if (isAbort(err, ctx.signal)) return finish(stopOutcome(ctx.signal), null);
      ctx.seen.delete(hash);
      const message = `the verifier failed on worker ${worker} round ${round}: ${(err as Error).message ?? String(err)}`;
      ctx.run.emit("verify-error", meta(round), { message });
      return finish("error", message);
    } finally {
      removeTensorFiles(harnessDir);
    }
    const verdictPath = ctx.run.writeRoundFile(worker, round, "verdict.json", JSON.stringify(verdict, null, 2) + "\n");
    ctx.run.emit("verdict", meta(round), {
      path: verdictPath,
      ok: verdict.ok,
      stage: verdict.stage,
      code: verdict.code,
      message: verdict.message,
      line: verdict.line,
      maxAbsErr: verdict.maxAbsErr,
      durationMs: verdict.durationMs,
    });
    const summary = summarizeVerdict(verdict);
    entry.summary = summary;

    if (verdict.ok) {
      if (ctx.claimWin(worker, round)) {
        report.win = { round, candidatePath, verdictPath, hash, code, verdict };
        record(round, "passed", summary, { candidatePath, verdictPath, maxAbsErr: verdict.maxAbsErr });
        return finish("verified", null);
      }
      // Another worker won first; this pass changes nothing.
      return finish("cancelled", "another worker was verified first");
    }
    // A verdict that arrives after the run stopped (killed mid-way) says nothing about the candidate.
    if (ctx.signal.aborted) return finish(stopOutcome(ctx.signal), null);
    record(round, verdict.stage, summary, {
      candidatePath,
      verdictPath,
      maxAbsErr: verdict.maxAbsErr,
    });
    previous = { round, candidate: code.trimEnd(), feedback: renderFeedback(verdict, code) };
    lastFile = previous;
  }
  return finish("rounds-exhausted", `no candidate passed in ${ctx.rounds} rounds`);
}
