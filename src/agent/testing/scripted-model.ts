import type { GenerateRequest, GenerateResult, LanguageModel, Usage } from "../../llm/types.js";
import { APPROACHES } from "../sampling.js";

/**
 * Test double: a LanguageModel that answers from a script instead of a provider. It streams the
 * scripted text in chunks through onDelta, honours the abort signal (rejecting with an AbortError
 * like a real client), and records every request it received, so tests can assert on the exact
 * prompts a worker was sent and on requests made after a cancellation. Not for production use.
 */

export interface ScriptedReply {
  text?: string;
  /** the request fails with this error (a provider failure) */
  error?: Error;
  /** time before the reply completes (it streams during it) */
  delayMs?: number;
  finishReason?: "stop" | "length";
  usage?: Usage;
}

export interface RecordedRequest {
  request: GenerateRequest;
  /** worker number derived from the approach text in the prompt (1-based), or null */
  worker: number | null;
  at: number;
  /** set when the request was aborted before it completed */
  aborted: boolean;
}

export type Script = (request: GenerateRequest, call: number, worker: number | null) => ScriptedReply;

/** Which worker sent a request: each worker's prompt carries its own approach line. */
export function workerOf(request: GenerateRequest): number | null {
  const user = request.messages.find((m) => m.role === "user")?.content ?? "";
  const i = APPROACHES.findIndex((a) => user.includes(a));
  return i < 0 ? null : i + 1;
}

function abortError(): Error {
  const e = new Error("the request was aborted");
  e.name = "AbortError";
  return e;
}

export class ScriptedModel implements LanguageModel {
  readonly provider = "scripted";
  readonly model = "scripted-model";
  readonly requests: RecordedRequest[] = [];
  constructor(private readonly script: Script) {}

  /** Prompts (user messages) one worker received, in order. */
  promptsOf(worker: number): string[] {
    return this.requests
      .filter((r) => r.worker === worker)
      .map((r) => r.request.messages.find((m) => m.role === "user")?.content ?? "");
  }

  async generate(request: GenerateRequest): Promise<GenerateResult> {
    const worker = workerOf(request);
    const record: RecordedRequest = { request, worker, at: Date.now(), aborted: false };
    this.requests.push(record);
    const reply = this.script(request, this.requests.length - 1, worker);
    const signal = request.signal;
    if (signal?.aborted) {
      record.aborted = true;
      throw abortError();
    }
    const text = reply.text ?? "";
    const delay = reply.delayMs ?? 0;
    const chunks = Math.max(1, Math.min(4, text.length));
    await new Promise<void>((resolveWait, rejectWait) => {
      let sent = 0;
      const timers: NodeJS.Timeout[] = [];
      const onAbort = () => {
        timers.forEach(clearTimeout);
        record.aborted = true;
        rejectWait(abortError());
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      for (let c = 0; c < chunks; c++) {
        timers.push(
          setTimeout(() => {
            const end = c === chunks - 1 ? text.length : Math.floor(((c + 1) * text.length) / chunks);
            if (end > sent) request.onDelta?.(text.slice(sent, end), 0);
            sent = end;
            if (c === chunks - 1) {
              signal?.removeEventListener("abort", onAbort);
              resolveWait();
            }
          }, (delay * (c + 1)) / chunks),
        );
      }
    });
    if (reply.error) throw reply.error;
    return {
      samples: [{ text, finishReason: reply.finishReason ?? "stop", rawFinishReason: reply.finishReason ?? "stop" }],
      usage: reply.usage ?? { inputTokens: 100, outputTokens: Math.ceil(text.length / 4) },
      model: this.model,
      provider: this.provider,
      latencyMs: delay,
      retries: 0,
      warnings: [],
    };
  }
}

/** A reply holding one python block. */
export function pyReply(code: string, prose = "Here is the kernel."): string {
  return `${prose}\n\n\`\`\`python\n${code.trim()}\n\`\`\`\n`;
}
