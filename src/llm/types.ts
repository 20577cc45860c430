/**
 * The one interface every agent uses to talk to a language model. Providers (OpenAI, Anthropic,
 * OpenAI-compatible) implement it; agents never see an SDK. Kept apart from the implementations.
 */

export type Role = "system" | "user" | "assistant";
export interface Message {
  role: Role;
  content: string;
}

/** Pipeline stages that may be given their own model. */
export type ModelStage = "router" | "fuser" | "extractor" | "kernel" | "composer" | "mapper";

export interface SamplingOptions {
  /** Requested temperature; a provider clamps it to the model's range, or drops it for reasoning models. */
  temperature?: number;
  topP?: number;
  maxOutputTokens?: number;
  /** For reasoning models: "low" | "medium" | "high". */
  reasoningEffort?: "low" | "medium" | "high";
  /** Anthropic extended thinking budget in tokens; ignored (with a warning) elsewhere. */
  thinkingBudgetTokens?: number;
}

export interface GenerateRequest {
  messages: Message[];
  sampling?: SamplingOptions;
  /** Number of independent samples; native `n` where the API has it, parallel calls otherwise. */
  n?: number;
  /** Called with each streamed text delta, tagged with the sample it belongs to. */
  onDelta?: (delta: string, sample: number) => void;
  signal?: AbortSignal;
  /**
   * Called before a retry. Text already streamed through onDelta for `sample` is void: the retry
   * starts that sample again from nothing (a streaming UI should clear it).
   */
  onRetry?: (info: RetryInfo) => void;
}

export interface RetryInfo {
  /** The sample whose call is retried (for native `n`, the first sample of the batch). */
  sample: number;
  /** 1 for the first retry. */
  attempt: number;
  delayMs: number;
  error: import("./errors.js").ProviderError;
}

/** One HTTP attempt, as kept for the record. */
export interface AttemptTrace {
  /** Which call of this generate (parallel calls for `n` are numbered from 0). */
  call: number;
  attempt: number;
  startedAt: string;
  latencyMs: number;
  error?: import("./errors.js").ProviderError;
  /** Wait before the next attempt, when there is one. */
  delayMs?: number;
}

/** What was actually sent (parameters after mapping, without messages) and every attempt. */
export interface RequestTrace {
  sent: Record<string, unknown>;
  attempts: AttemptTrace[];
}

export type FinishReason = "stop" | "length" | "content-filter" | "error" | "other";

export interface Usage {
  inputTokens: number;
  outputTokens: number;
}

export interface Sample {
  text: string;
  finishReason: FinishReason;
  /** The provider's own finish value, kept for the record. */
  rawFinishReason: string | null;
}

export interface Warning {
  /** unsupported: not sent; clamped: sent changed; assumed: a default used for an unknown model. */
  type: "unsupported" | "clamped" | "assumed";
  feature: string;
  detail: string;
}

export interface GenerateResult {
  samples: Sample[];
  usage: Usage;
  model: string;
  provider: string;
  latencyMs: number;
  retries: number;
  warnings: Warning[];
  /** Present for the built-in providers; the recorder writes it. */
  trace?: RequestTrace;
}

export interface LanguageModel {
  readonly provider: string;
  readonly model: string;
  generate(request: GenerateRequest): Promise<GenerateResult>;
}
