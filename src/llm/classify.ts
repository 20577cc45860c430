import { LlmError, type ProviderError } from "./errors.js";

/** Milliseconds to wait according to `retry-after-ms` or `retry-after` (seconds or HTTP date). */
export function parseRetryAfter(headers: unknown, now: number): number | null {
  const get = (name: string): string | null => {
    if (!headers) return null;
    if (typeof (headers as Headers).get === "function") return (headers as Headers).get(name);
    const v = (headers as Record<string, unknown>)[name];
    return typeof v === "string" ? v : null;
  };
  const ms = get("retry-after-ms");
  if (ms !== null && ms.trim() !== "" && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const after = get("retry-after");
  if (after === null || after.trim() === "") return null;
  if (Number.isFinite(Number(after))) return Math.max(0, Number(after) * 1000);
  const date = Date.parse(after);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

/** The provider's own message from an SDK APIError, without the SDK's status prefix. */
function apiMessage(err: { message?: string; error?: unknown }): string {
  const body = err.error as { message?: unknown; error?: { message?: unknown } } | undefined;
  const inner = body?.error?.message ?? body?.message;
  if (typeof inner === "string" && inner) return inner;
  return err.message ?? "no message";
}

function causeChain(err: unknown): string {
  const parts: string[] = [];
  let cur: unknown = err;
  for (let i = 0; cur && i < 4; i++) {
    const c = cur as { message?: string; code?: string; cause?: unknown };
    if (c.message) parts.push(c.code ? `${c.message} (${c.code})` : c.message);
    cur = c.cause;
  }
  return parts.join(": ") || String(err);
}

export interface ClassifyContext {
  provider: string;
  model: string;
  now: number;
}

/**
 * Maps whatever an SDK call or its stream threw to a ProviderError. Works on both SDKs' errors by
 * shape (status, headers, class name) so it does not depend on either SDK's class identity.
 */
export function classifyError(err: unknown, ctx: ClassifyContext): ProviderError {
  const where = { provider: ctx.provider, model: ctx.model };
  if (err instanceof LlmError) return err.detail;
  const e = err as { name?: string; status?: unknown; headers?: unknown; message?: string; error?: unknown; constructor?: { name?: string } };
  const cls = e?.constructor?.name ?? "";
  if (err instanceof SyntaxError) return { ...where, code: "malformed_stream", reason: "invalid_json", detail: err.message };
  if (cls === "APIConnectionTimeoutError") return { ...where, code: "timeout", timeoutMs: 0 };
  if (cls === "APIUserAbortError" || e?.name === "AbortError") return { ...where, code: "aborted" };
  if (cls === "APIConnectionError") return { ...where, code: "connection", message: causeChain((err as { cause?: unknown }).cause ?? err) };
  if (typeof e?.status === "number") {
    const status = e.status;
    const message = apiMessage(e);
    const retryAfterMs = parseRetryAfter(e.headers, ctx.now);
    if (status === 401 || status === 403) return { ...where, code: "auth", status, message };
    if (status === 429) return { ...where, code: "rate_limited", status, retryAfterMs, message };
    if (status === 408) return { ...where, code: "timeout", timeoutMs: 0 };
    if (status >= 500) return { ...where, code: "server_error", status, retryAfterMs, message };
    return { ...where, code: "bad_request", status, message };
  }
  if (cls === "APIError" || cls.endsWith("APIError")) {
    // An error event inside a 200 stream (e.g. Anthropic's overloaded_error): the server failed.
    const body = e.error as { error?: { type?: string } } | undefined;
    const message = apiMessage(e);
    if (body?.error?.type === "rate_limit_error") return { ...where, code: "rate_limited", status: 429, retryAfterMs: null, message };
    return { ...where, code: "server_error", status: null, retryAfterMs: null, message };
  }
  // undici reports a socket closed mid-body as TypeError("terminated") with a socket cause.
  if (err instanceof TypeError && /terminated|fetch failed|socket|ECONN|other side closed/i.test(causeChain(err))) {
    return { ...where, code: "connection", message: causeChain(err) };
  }
  const code = (err as { code?: unknown })?.code;
  if (typeof code === "string" && /^(ECONN|EPIPE|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|UND_ERR)/.test(code)) {
    return { ...where, code: "connection", message: causeChain(err) };
  }
  return { ...where, code: "unexpected", message: causeChain(err) };
}
