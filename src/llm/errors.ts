/**
 * Provider failures as data: a union keyed on `code`, with the fields a caller needs to act.
 * The English text is produced in one place, renderProviderError, and nowhere else.
 */

export type ProviderId = "openai" | "anthropic" | "openai-compatible";

interface Where {
  provider: string;
  model: string;
}

export type ProviderError =
  | { code: "not_configured"; reason: "no_provider" | "no_model" | "provider_missing"; provider?: string; model?: string; stage?: string; variables: string[] }
  | { code: "invalid_config"; variable: string; value: string; expected: string }
  | (Where & { code: "auth"; status: number; message: string })
  | (Where & { code: "rate_limited"; status: number; retryAfterMs: number | null; message: string })
  | (Where & { code: "server_error"; status: number | null; retryAfterMs: number | null; message: string })
  | (Where & { code: "bad_request"; status: number; message: string })
  | (Where & { code: "timeout"; timeoutMs: number })
  | (Where & { code: "connection"; message: string })
  | (Where & { code: "malformed_stream"; reason: "invalid_json" | "truncated" | "missing_choice"; detail: string })
  | (Where & { code: "aborted" })
  | (Where & { code: "retry_after_too_long"; retryAfterMs: number; limitMs: number; cause: "rate_limited" | "server_error" })
  | (Where & { code: "invalid_request"; message: string })
  | (Where & { code: "unexpected"; message: string });

export type ProviderErrorCode = ProviderError["code"];

/** Transient failures worth another attempt. */
export function isRetryable(e: ProviderError): boolean {
  switch (e.code) {
    case "rate_limited":
    case "server_error":
    case "timeout":
    case "connection":
      return true;
    case "malformed_stream":
      // A stream that ended early is a dropped connection; unparsable data is not transient.
      return e.reason === "truncated";
    default:
      return false;
  }
}

function seconds(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)}s` : `${ms}ms`;
}

/** The one place where a provider error becomes a sentence for a person. One line, no secrets. */
export function renderProviderError(e: ProviderError): string {
  const at = "provider" in e && "model" in e ? `${e.provider} (${e.model})` : "";
  switch (e.code) {
    case "not_configured":
      if (e.reason === "no_provider")
        return `no language model provider is configured: set ${listOr(e.variables)} in the environment or in ./.env`;
      if (e.reason === "no_model")
        return `no model is chosen${e.stage ? ` for stage ${e.stage}` : ""}: set ${listOr(e.variables)} or pass --model`;
      return `model ${e.model ?? "?"} needs provider ${e.provider ?? "?"}, which is not configured: set ${listOr(e.variables)}`;
    case "invalid_config":
      return `${e.variable}=${JSON.stringify(e.value)} is not valid: expected ${e.expected}`;
    case "auth":
      return `${at} rejected the credentials (HTTP ${e.status}): ${e.message}; check the API key`;
    case "rate_limited":
      return `${at} is rate limiting requests (HTTP ${e.status})${e.retryAfterMs !== null ? `, retry after ${seconds(e.retryAfterMs)}` : ""}: ${e.message}`;
    case "server_error":
      return `${at} failed on the server side${e.status !== null ? ` (HTTP ${e.status})` : " (error event in the stream)"}: ${e.message}`;
    case "bad_request":
      return `${at} refused the request (HTTP ${e.status}): ${e.message}`;
    case "timeout":
      return `${at} sent nothing for ${seconds(e.timeoutMs)}; the request timed out (TRITONIZE_TIMEOUT_MS sets the limit)`;
    case "connection":
      return `could not talk to ${at}: ${e.message}; check the base URL and the network`;
    case "malformed_stream":
      return e.reason === "truncated"
        ? `${at} ended the stream before its final event: ${e.detail}`
        : `${at} sent a stream that could not be read (${e.reason}): ${e.detail}`;
    case "aborted":
      return `request to ${at} was cancelled`;
    case "retry_after_too_long":
      return `${at} asked to wait ${seconds(e.retryAfterMs)} before retrying (${e.cause}), longer than the ${seconds(e.limitMs)} allowed; try again later`;
    case "invalid_request":
      return `invalid request for ${at}: ${e.message}`;
    case "unexpected":
      return `unexpected failure calling ${at}: ${e.message}`;
  }
}

function listOr(items: string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} or ${items[items.length - 1]}`;
}

/** The thrown form: carries the data; its message is the rendered text. */
export class LlmError extends Error {
  override readonly name = "LlmError";
  constructor(
    readonly detail: ProviderError,
    readonly trace?: import("./types.js").RequestTrace,
    /** Text streamed per sample before the failure, for the record. */
    readonly partialText?: string[],
  ) {
    super(renderProviderError(detail));
  }
}

export function isLlmError(err: unknown): err is LlmError {
  return err instanceof LlmError;
}
