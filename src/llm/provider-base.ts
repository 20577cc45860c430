import { classifyError } from "./classify.js";
import { LlmError, type ProviderError, type ProviderId } from "./errors.js";
import { decideRetry, defaultRetryPolicy, sleep as realSleep, type RetryPolicy } from "./retry.js";
import type {
  AttemptTrace,
  GenerateRequest,
  GenerateResult,
  LanguageModel,
  Message,
  Sample,
  SamplingOptions,
  Usage,
  Warning,
} from "./types.js";

/** One streamed HTTP call, as a provider adapter performs it. */
export interface StreamCall {
  messages: Message[];
  /** Parameters after mapping (see ProviderAdapter.map), without model, messages and n. */
  params: Record<string, unknown>;
  n: number;
  signal: AbortSignal;
  /** Text delta for choice `choice` of this call (0-based within the call). */
  onDelta: (delta: string, choice: number) => void;
  /** Called on every event received, so that an idle stream times out and a busy one does not. */
  onActivity: () => void;
}

export interface StreamOutcome {
  /** Finished choices in index order. A choice that started but did not finish is an error, not a sample. */
  samples: Sample[];
  /** null when the server reported no usage. */
  usage: Usage | null;
}

/** What differs between providers: mapping sampling options, and one streamed call. */
export interface ProviderAdapter {
  readonly provider: ProviderId;
  readonly model: string;
  /** Whether one request can return several choices (OpenAI's `n`). */
  readonly nativeN: boolean;
  map(sampling: SamplingOptions): { params: Record<string, unknown>; warnings: Warning[] };
  stream(call: StreamCall): Promise<StreamOutcome>;
}

/** Injected effects, so tests run fast and deterministic. */
export interface ProviderRuntime {
  retry: RetryPolicy;
  /** Longest silence (no headers, no event) tolerated before an attempt times out. */
  timeoutMs: number;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  random: () => number;
  now: () => number;
}

export const defaultTimeoutMs = 300_000;

export function runtimeWithDefaults(partial: Partial<ProviderRuntime> = {}): ProviderRuntime {
  return {
    retry: partial.retry ?? defaultRetryPolicy,
    timeoutMs: partial.timeoutMs ?? defaultTimeoutMs,
    sleep: partial.sleep ?? realSleep,
    random: partial.random ?? Math.random,
    now: partial.now ?? Date.now,
  };
}

/**
 * Wraps a provider adapter into a LanguageModel: validation, `n` (native or parallel calls),
 * per-attempt inactivity timeout, cancellation, retries with backoff, usage and the trace.
 */
export function createProviderModel(adapter: ProviderAdapter, runtime: ProviderRuntime): LanguageModel {
  const where = { provider: adapter.provider, model: adapter.model };

  async function generate(request: GenerateRequest): Promise<GenerateResult> {
    const started = runtime.now();
    const n = request.n ?? 1;
    const { params, warnings } = adapter.map(request.sampling ?? {});
    const attempts: AttemptTrace[] = [];
    const sent = { model: adapter.model, n, stream: true, ...params };
    const partial: string[] = Array.from({ length: n }, () => "");

    const fail = (detail: ProviderError): never => {
      throw new LlmError(detail, { sent, attempts }, partial.slice());
    };
    if (!Number.isInteger(n) || n < 1) fail({ ...where, code: "invalid_request", message: `n must be a positive integer, got ${n}` });
    if (request.messages.length === 0) fail({ ...where, code: "invalid_request", message: "no messages" });
    if (request.signal?.aborted) fail({ ...where, code: "aborted" });

    // One controller for the whole generate: the caller's abort or a failed sibling call stops all.
    const group = new AbortController();
    const onCallerAbort = () => group.abort();
    request.signal?.addEventListener("abort", onCallerAbort, { once: true });

    let callCount = 0;
    const usages: (Usage | null)[] = [];

    /** One call (with its retries) producing `count` samples that start at index `offset`. */
    async function call(count: number, offset: number): Promise<Sample[]> {
      const callIndex = callCount++;
      for (let attempt = 0; ; attempt++) {
        const startedAt = runtime.now();
        const trace: AttemptTrace = { call: callIndex, attempt, startedAt: new Date(startedAt).toISOString(), latencyMs: 0 };
        try {
          const out = await attemptOnce(count, offset);
          trace.latencyMs = runtime.now() - startedAt;
          attempts.push(trace);
          usages.push(out.usage);
          return out.samples;
        } catch (err) {
          const detail = classifyError(err, { ...where, now: runtime.now() });
          trace.latencyMs = runtime.now() - startedAt;
          trace.error = detail;
          const decision = group.signal.aborted ? { retry: false as const, error: detail } : decideRetry(detail, attempt, runtime.retry, runtime.random);
          if (!decision.retry) {
            attempts.push(trace);
            throw new LlmError(decision.error);
          }
          trace.delayMs = decision.delayMs;
          attempts.push(trace);
          for (let i = offset; i < offset + count; i++) partial[i] = "";
          request.onRetry?.({ sample: offset, attempt: attempt + 1, delayMs: decision.delayMs, error: detail });
          try {
            await runtime.sleep(decision.delayMs, group.signal);
          } catch {
            throw new LlmError({ ...where, code: "aborted" });
          }
        }
      }
    }

    async function attemptOnce(count: number, offset: number): Promise<StreamOutcome> {
      const ctrl = new AbortController();
      let timedOut = false;
      let timer: NodeJS.Timeout | undefined;
      const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          timedOut = true;
          ctrl.abort();
        }, runtime.timeoutMs);
      };
      const stop = () => ctrl.abort();
      group.signal.addEventListener("abort", stop, { once: true });
      arm();
      // The SDKs end a stream quietly when its signal aborts, so every outcome is checked against
      // why the signal fired before it is believed.
      const interrupted = (): ProviderError | null =>
        group.signal.aborted ? { ...where, code: "aborted" } : timedOut ? { ...where, code: "timeout", timeoutMs: runtime.timeoutMs } : null;
      try {
        const out = await adapter.stream({
          messages: request.messages,
          params,
          n: count,
          signal: ctrl.signal,
          onActivity: arm,
          onDelta: (delta, choice) => {
            if (ctrl.signal.aborted || !delta) return;
            const sample = offset + choice;
            if (sample >= offset + count) return;
            partial[sample] += delta;
            request.onDelta?.(delta, sample);
          },
        });
        const why = interrupted();
        if (why) throw new LlmError(why);
        return out;
      } catch (err) {
        const why = interrupted();
        if (why) throw new LlmError(why);
        throw err;
      } finally {
        clearTimeout(timer);
        group.signal.removeEventListener("abort", stop);
      }
    }

    /** Runs calls in parallel; the first failure cancels the others. */
    async function parallel(jobs: Array<() => Promise<Sample[]>>): Promise<Sample[][]> {
      return Promise.all(
        jobs.map((job) =>
          job().catch((err) => {
            group.abort();
            throw err;
          }),
        ),
      );
    }

    try {
      let samples: Sample[];
      if (adapter.nativeN || n === 1) {
        samples = await call(n, 0);
        if (samples.length < n) {
          // Some OpenAI-compatible servers ignore `n`: make up the difference with separate calls.
          const have = samples.length;
          warnings.push({ type: "unsupported", feature: "n", detail: `server returned ${have} of ${n} choices; made ${n - have} more calls` });
          const more = await parallel(Array.from({ length: n - have }, (_, i) => () => call(1, have + i)));
          samples = samples.concat(more.map((s) => s[0]!).filter(Boolean));
        }
      } else {
        const results = await parallel(Array.from({ length: n }, (_, i) => () => call(1, i)));
        samples = results.map((s) => s[0]!);
      }
      if (samples.length !== n || samples.some((s) => s === undefined)) {
        fail({ ...where, code: "malformed_stream", reason: "missing_choice", detail: `expected ${n} samples, got ${samples.length}` });
      }
      if (usages.some((u) => u === null)) {
        warnings.push({ type: "unsupported", feature: "usage", detail: "the server reported no token usage for some calls; counted as 0" });
      }
      const usage = usages.reduce<Usage>(
        (acc, u) => ({ inputTokens: acc.inputTokens + (u?.inputTokens ?? 0), outputTokens: acc.outputTokens + (u?.outputTokens ?? 0) }),
        { inputTokens: 0, outputTokens: 0 },
      );
      return {
        samples,
        usage,
        model: adapter.model,
        provider: adapter.provider,
        latencyMs: runtime.now() - started,
        retries: attempts.length - callCount,
        warnings,
        trace: { sent, attempts },
      };
    } catch (err) {
      const detail = err instanceof LlmError ? err.detail : classifyError(err, { ...where, now: runtime.now() });
      if (request.signal?.aborted) return fail({ ...where, code: "aborted" });
      return fail(detail);
    } finally {
      request.signal?.removeEventListener("abort", onCallerAbort);
      group.abort();
    }
  }

  return { provider: adapter.provider, model: adapter.model, generate };
}
