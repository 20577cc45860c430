import { readdirSync } from "node:fs";
import type { LanguageModel, Message } from "../llm/types.js";
import type { PipelineRunDir, PipelineStage } from "./events.js";

/**
 * One model-driven stage: ask, check the reply, re-ask with the exact reason it was not accepted,
 * within a budget of attempts. Each attempt keeps its files in `<folder>/attempt-N/` (prompt.md,
 * response.md, outcome.json and whatever the check writes there) and emits its events: `started`
 * and then `completed` or `failed` with the attempt number and the reason. Exhausting the budget
 * fails the stage with every attempt's reason.
 */

export type AttemptOutcome<T> = { ok: true; value: T } | { ok: false; reason: string };

export interface StageAsk<T> {
  rd: PipelineRunDir;
  stage: PipelineStage;
  /** how the stage names itself in messages: "model fuser", "model composer" */
  label: string;
  /** folder of the run directory for the attempts: "fuser", "composer" */
  folder: string;
  model: LanguageModel;
  system: string;
  request: string;
  budget: number;
  /** the follow-up message after an attempt that was not accepted */
  retry: (reason: string, attempt: number, left: number) => string;
  /** what the harness and the checks make of one reply; `dir` is the attempt's folder */
  check: (reply: string, dir: string, attempt: number) => Promise<AttemptOutcome<T>>;
  signal?: AbortSignal;
}

export type StageOutcome<T> =
  | { ok: true; value: T; attempt: number; reasons: string[] }
  | { ok: false; message: string; reasons: string[] };

export async function askWithinBudget<T>(a: StageAsk<T>): Promise<StageOutcome<T>> {
  const messages: Message[] = [
    { role: "system", content: a.system },
    { role: "user", content: a.request },
  ];
  const reasons: string[] = [];
  const first = nextAttempt(a.rd, a.folder);
  for (let i = 0; i < a.budget; i++) {
    const n = first + i;
    const dir = `${a.folder}/attempt-${n}`;
    a.rd.write(`${dir}/prompt.md`, messages.map((m) => `## ${m.role}\n\n${m.content}`).join("\n\n"));
    a.rd.emit(a.stage, "started", { by: "model", attempt: n, of: first + a.budget - 1, dir: a.rd.path(dir) });
    let reply: string;
    try {
      const r = await a.model.generate({ messages: [...messages], signal: a.signal });
      reply = r.samples[0]?.text ?? "";
    } catch (err) {
      // Ctrl-C ends the stage like any other; the run reports itself interrupted
      const interrupted = a.signal?.aborted === true;
      const message = interrupted ? `${a.label}: interrupted during attempt ${n}` : `${a.label}: the model request of attempt ${n} failed: ${(err as Error).message}`;
      a.rd.emit(a.stage, interrupted ? "interrupted" : "failed", { by: "model", attempt: n, message });
      return { ok: false, message, reasons: [...reasons, message] };
    }
    a.rd.write(`${dir}/response.md`, reply);
    const outcome = await a.check(reply, a.rd.path(dir), n);
    a.rd.writeJson(`${dir}/outcome.json`, outcome.ok ? { accepted: true } : { accepted: false, reason: outcome.reason });
    if (outcome.ok) {
      a.rd.emit(a.stage, "completed", { by: "model", attempt: n, message: `${a.label}: attempt ${n} accepted` });
      return { ok: true, value: outcome.value, attempt: n, reasons };
    }
    reasons.push(`attempt ${n}: ${outcome.reason}`);
    a.rd.emit(a.stage, "failed", { by: "model", attempt: n, reason: outcome.reason, message: `${a.label}: attempt ${n} not accepted: ${outcome.reason}` });
    messages.push({ role: "assistant", content: reply }, { role: "user", content: a.retry(outcome.reason, n, a.budget - i - 1) });
  }
  const message = `${a.label}: no attempt accepted within its budget of ${a.budget}: ${reasons.join("; ")}`;
  a.rd.emit(a.stage, "failed", { by: "model", attempts: reasons.length, message });
  return { ok: false, message, reasons };
}

/** Attempts continue their numbering across `--resume`, so earlier attempts' files stay. */
function nextAttempt(rd: PipelineRunDir, folder: string): number {
  if (!rd.has(folder)) return 1;
  const done = readdirSync(rd.path(folder)).map((d) => /^attempt-(\d+)$/.exec(d)?.[1]).filter((d): d is string => d !== undefined).map(Number);
  return done.length ? Math.max(...done) + 1 : 1;
}
