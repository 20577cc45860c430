import { isRetryable, type ProviderError } from "./errors.js";

export interface RetryPolicy {
  /** Retries after the first attempt. */
  maxRetries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A `retry-after` longer than this ends the call instead of waiting. */
  maxRetryAfterMs: number;
}

export const defaultRetryPolicy: RetryPolicy = {
  maxRetries: 4,
  baseDelayMs: 1000,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 120_000,
};

export type RetryDecision =
  | { retry: true; delayMs: number }
  | { retry: false; error: ProviderError };

/**
 * Whether and when to try again after `error` on attempt `attempt` (0 = the first attempt).
 * A server's retry-after wins; otherwise exponential backoff with jitter (half fixed, half random)
 * so that parallel workers hit by the same 429 do not come back in step.
 */
export function decideRetry(error: ProviderError, attempt: number, policy: RetryPolicy, random: () => number): RetryDecision {
  if (!isRetryable(error) || attempt >= policy.maxRetries) return { retry: false, error };
  const retryAfterMs = "retryAfterMs" in error ? error.retryAfterMs : null;
  if (retryAfterMs !== null && (error.code === "rate_limited" || error.code === "server_error")) {
    if (retryAfterMs > policy.maxRetryAfterMs) {
      return {
        retry: false,
        error: {
          code: "retry_after_too_long",
          provider: error.provider,
          model: error.model,
          retryAfterMs,
          limitMs: policy.maxRetryAfterMs,
          cause: error.code,
        },
      };
    }
    return { retry: true, delayMs: Math.ceil(retryAfterMs) };
  }
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  return { retry: true, delayMs: Math.round(exp / 2 + (exp / 2) * random()) };
}

/** setTimeout as a promise that rejects with the signal's reason when aborted. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
