import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LlmError, renderProviderError, type ProviderError } from "./errors.js";
import { costOf } from "./prices.js";
import type { GenerateRequest, GenerateResult, LanguageModel, Usage } from "./types.js";

/** One request as written to `<dir>/request-NNNN.json`. */
export interface RequestRecord {
  seq: number;
  time: string;
  label: string | null;
  provider: string;
  model: string;
  messages: GenerateRequest["messages"];
  sampling: GenerateRequest["sampling"] | null;
  n: number;
  /** Parameters as sent after mapping (no headers, no key). */
  sent: Record<string, unknown> | null;
  ok: boolean;
  /** Final text per sample; on failure, what had streamed before it. */
  samples: Array<{ text: string; finishReason: string | null; rawFinishReason: string | null }>;
  usage: Usage;
  costUsd: number | null;
  latencyMs: number;
  retries: number;
  attempts: unknown[];
  warnings: unknown[];
  error: { code: string; message: string; detail: ProviderError } | null;
}

export interface Totals {
  requests: number;
  failed: number;
  retries: number;
  inputTokens: number;
  outputTokens: number;
  /** Sum over requests whose model has a known price. */
  costUsd: number;
  /** Requests whose cost is unknown (no price in src/llm/prices.ts). */
  unpricedRequests: number;
  byModel: Record<string, { requests: number; inputTokens: number; outputTokens: number; costUsd: number | null }>;
}

const emptyTotals = (): Totals => ({ requests: 0, failed: 0, retries: 0, inputTokens: 0, outputTokens: 0, costUsd: 0, unpricedRequests: 0, byModel: {} });

/** Anything shaped like an API key, whatever its provider, in case a server echoes one back. */
const keyShaped = /\b(sk-(?:ant-|proj-)?[A-Za-z0-9_-]{12,})/g;

/**
 * Writes one JSON file per request into a directory and keeps running totals there
 * (`totals.json`). A child recorder (one per worker, say) adds to its parent's totals too.
 * Configured keys, and anything that looks like a key, are replaced before anything is written.
 */
export class RequestRecorder {
  private seq = 0;
  private readonly sums = emptyTotals();
  private readonly secrets: string[];

  constructor(
    readonly dir: string,
    private readonly options: { secrets?: string[]; parent?: RequestRecorder } = {},
  ) {
    this.secrets = (options.secrets ?? []).filter((s) => s.length >= 6);
    mkdirSync(dir, { recursive: true });
  }

  child(subdir: string): RequestRecorder {
    return new RequestRecorder(join(this.dir, subdir), { secrets: this.secrets, parent: this });
  }

  totals(): Totals {
    return structuredClone(this.sums);
  }

  record(entry: Omit<RequestRecord, "seq" | "costUsd">): RequestRecord {
    const seq = ++this.seq;
    const full: RequestRecord = { seq, ...entry, costUsd: costOf(entry.provider, entry.model, entry.usage) };
    writeFileSync(join(this.dir, `request-${String(seq).padStart(4, "0")}.json`), this.scrub(JSON.stringify(full, null, 2)));
    this.add(full);
    return full;
  }

  private add(r: RequestRecord): void {
    const t = this.sums;
    t.requests++;
    if (!r.ok) t.failed++;
    t.retries += r.retries;
    t.inputTokens += r.usage.inputTokens;
    t.outputTokens += r.usage.outputTokens;
    if (r.costUsd === null) t.unpricedRequests++;
    else t.costUsd += r.costUsd;
    const key = `${r.provider}:${r.model}`;
    const m = (t.byModel[key] ??= { requests: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 });
    m.requests++;
    m.inputTokens += r.usage.inputTokens;
    m.outputTokens += r.usage.outputTokens;
    m.costUsd = r.costUsd === null || m.costUsd === null ? null : m.costUsd + r.costUsd;
    writeFileSync(join(this.dir, "totals.json"), JSON.stringify(t, null, 2));
    this.options.parent?.add(r);
  }

  private scrub(text: string): string {
    let out = text;
    for (const s of this.secrets) out = out.split(s).join("[redacted]");
    return out.replace(keyShaped, "[redacted]");
  }
}

/** A LanguageModel that records every generate (success or failure) through `recorder`. */
export function withRecorder(model: LanguageModel, recorder: RequestRecorder, label?: string): LanguageModel {
  return {
    provider: model.provider,
    model: model.model,
    async generate(request: GenerateRequest): Promise<GenerateResult> {
      const n = request.n ?? 1;
      const time = new Date().toISOString();
      const t0 = Date.now();
      const base = {
        time,
        label: label ?? null,
        provider: model.provider,
        model: model.model,
        messages: request.messages,
        sampling: request.sampling ?? null,
        n,
      };
      try {
        const r = await model.generate(request);
        recorder.record({
          ...base,
          sent: r.trace?.sent ?? null,
          ok: true,
          samples: r.samples.map((s) => ({ text: s.text, finishReason: s.finishReason, rawFinishReason: s.rawFinishReason })),
          usage: r.usage,
          latencyMs: r.latencyMs,
          retries: r.retries,
          attempts: r.trace?.attempts ?? [],
          warnings: r.warnings,
          error: null,
        });
        return r;
      } catch (err) {
        const detail: ProviderError =
          err instanceof LlmError ? err.detail : { code: "unexpected", provider: model.provider, model: model.model, message: String(err) };
        const attempts = err instanceof LlmError ? (err.trace?.attempts ?? []) : [];
        recorder.record({
          ...base,
          sent: err instanceof LlmError ? (err.trace?.sent ?? null) : null,
          ok: false,
          samples: (err instanceof LlmError ? (err.partialText ?? []) : []).map((text) => ({ text, finishReason: null, rawFinishReason: null })),
          usage: { inputTokens: 0, outputTokens: 0 },
          latencyMs: Date.now() - t0,
          retries: attempts.filter((a) => a.delayMs !== undefined).length,
          attempts,
          warnings: [],
          error: { code: detail.code, message: renderProviderError(detail), detail },
        });
        throw err;
      }
    },
  };
}
