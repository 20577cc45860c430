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
  type: "unsupported" | "clamped";
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
}

export interface LanguageModel {
  readonly provider: string;
  readonly model: string;
  generate(request: GenerateRequest): Promise<GenerateResult>;
}
