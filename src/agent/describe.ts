import type { LanguageModel, Usage } from "../llm/types.js";
import { isLlmError } from "../llm/errors.js";
import type { RunDir } from "../runs/run-dir.js";
import { renderPrompt } from "../prompts/render.js";
import type { CheckProblemFn, Device, ProblemCheck } from "./deps.js";
import { extractCode } from "./extract-code.js";
import type { SyntaxChecker } from "./syntax-check.js";

/**
 * From a plain-language description to a reference problem in KernelBench form: the model writes
 * it, the harness loads and runs it once, and only a file that passes becomes `reference.py` in
 * the run directory. Every later verdict is against that file.
 */

export interface ReferenceOptions {
  description: string;
  model: LanguageModel;
  checkProblem: CheckProblemFn;
  checkSyntax: SyntaxChecker;
  run: RunDir;
  device: Device;
  sets?: Record<string, string>;
  attempts: number;
  signal: AbortSignal;
  addUsage(usage: Usage): void;
}

export interface Reference {
  path: string;
  source: string;
  attempts: number;
  /** the load-and-run check it passed */
  check: ProblemCheck;
}

function summaryOf(check: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const key of ["inputs", "outputs"]) {
    if (check[key] !== undefined) parts.push(`${key}: ${JSON.stringify(check[key])}`);
  }
  return parts.length > 0 ? parts.join("; ") : String(check.message ?? "loaded and ran");
}

export async function writeReference(opts: ReferenceOptions): Promise<Reference> {
  const meta = (round: number) => ({ stage: "reference" as const, worker: null, round });
  const system = renderPrompt("reference-system", {});
  let previous: { source: string; reason: string } | null = null;
  const reasons: string[] = [];
  for (let attempt = 1; attempt <= opts.attempts; attempt++) {
    const user = renderPrompt("reference-request", { description: opts.description, previous });
    const promptPath = opts.run.writeFile(`reference/attempt-${attempt}/prompt.md`, `# system\n\n${system}\n# user\n\n${user}`);
    opts.run.emit("model-request", meta(attempt), { promptPath, promptChars: system.length + user.length });
    let text: string;
    try {
      const result = await opts.model.generate({
        messages: [
          { role: "system", content: system },
          { role: "user", content: user },
        ],
        n: 1,
        sampling: { temperature: 0.2 },
        signal: opts.signal,
      });
      opts.addUsage(result.usage);
      text = result.samples[0]?.text ?? "";
      const replyPath = opts.run.writeFile(`reference/attempt-${attempt}/reply.md`, text);
      for (const w of result.warnings) opts.run.emit("model-warning", meta(attempt), w);
      opts.run.emit("model-reply", meta(attempt), {
        replyPath,
        chars: text.length,
        finishReason: result.samples[0]?.finishReason ?? "other",
        usage: result.usage,
        latencyMs: result.latencyMs,
        retries: result.retries,
      });
    } catch (err) {
      if (opts.signal.aborted) throw err;
      const why = isLlmError(err) ? err.message : `${opts.model.provider} (${opts.model.model}) failed: ${(err as Error).message}`;
      const message = `while writing the reference problem: ${why}`;
      opts.run.emit("model-error", meta(attempt), { message, provider: opts.model.provider, model: opts.model.model });
      throw new ProviderError(message);
    }

    const reject = (source: string, reason: string) => {
      opts.run.emit("reference-rejected", meta(attempt), { reason });
      reasons.push(`attempt ${attempt}: ${reason}`);
      previous = { source, reason };
    };
    const extracted = extractCode(text);
    if (!extracted.ok) {
      reject("", extracted.message);
      continue;
    }
    const syntax = await opts.checkSyntax(extracted.code, "Model");
    if (!syntax.ok) {
      reject(extracted.code, `${syntax.message}${syntax.line !== null ? ` (line ${syntax.line})` : ""}`);
      continue;
    }
    const path = opts.run.writeFile(`reference/attempt-${attempt}/reference.py`, extracted.code);
    const check = await opts.checkProblem({ problem: path, sets: opts.sets, device: opts.device, signal: opts.signal });
    opts.run.writeFile(`reference/attempt-${attempt}/check.json`, JSON.stringify(check, null, 2) + "\n");
    if (!check.ok) {
      reject(extracted.code, `loading and running it failed${check.code ? ` (${check.code})` : ""}: ${check.message}`);
      continue;
    }
    const final = opts.run.writeFile("reference.py", extracted.code);
    opts.run.emit("reference-ready", meta(attempt), { path: final, attempts: attempt, summary: summaryOf(check) });
    return { path: final, source: extracted.code, attempts: attempt, check };
  }
  throw new ReferenceProblemError(
    `no reference problem could be written from the description in ${opts.attempts} attempts (${reasons.join("; ")}); pass a problem file with --problem instead`,
  );
}

export class ProviderError extends Error {
  override name = "ProviderError";
}
export class ReferenceProblemError extends Error {
  override name = "ReferenceProblemError";
}
