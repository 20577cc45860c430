import { createAnthropicModel } from "../llm/anthropic.js";
import { createOpenAIModel } from "../llm/openai.js";
import type { ProviderRuntime } from "../llm/provider-base.js";
import { RequestRecorder, withRecorder } from "../llm/record.js";
import type { LanguageModel, ModelStage } from "../llm/types.js";
import { resolveStage, type TritonizeConfig } from "./config.js";

export interface CreateModelOptions {
  fetch?: typeof fetch;
  /** Overrides for tests (sleep, random, clock); timeout and retries come from the config. */
  runtime?: Partial<ProviderRuntime>;
  /** Record every request into this directory (or recorder). */
  record?: string | RequestRecorder;
}

/**
 * The LanguageModel for a pipeline stage. Throws LlmError `not_configured` (one line naming
 * the variables to set) when no provider or model is configured for it.
 */
export function createModel(config: TritonizeConfig, stage: ModelStage, options: CreateModelOptions = {}): LanguageModel {
  const { provider, model } = resolveStage(config, stage);
  const runtime: Partial<ProviderRuntime> = {
    timeoutMs: config.timeoutMs,
    retry: { maxRetries: config.maxRetries, baseDelayMs: 1000, maxDelayMs: 30_000, maxRetryAfterMs: 120_000 },
    ...options.runtime,
  };
  const common = { model, apiKey: provider.apiKey, baseURL: provider.baseURL, runtime, ...(options.fetch ? { fetch: options.fetch } : {}) };
  const lm =
    provider.id === "anthropic"
      ? createAnthropicModel(common)
      : createOpenAIModel({ ...common, flavor: provider.id });
  if (!options.record) return lm;
  const recorder = typeof options.record === "string" ? new RequestRecorder(options.record, { secrets: secretsOf(config) }) : options.record;
  return withRecorder(lm, recorder, stage);
}

/** Every configured key, for a recorder to redact. */
export function secretsOf(config: TritonizeConfig): string[] {
  return Object.values(config.providers).map((p) => p.apiKey);
}
