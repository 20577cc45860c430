import type OpenAI from "openai";
import { clamp, openaiModelInfo, temperatureRange } from "./capabilities.js";
import { LlmError } from "./errors.js";
import { createProviderModel, runtimeWithDefaults, type ProviderAdapter, type ProviderRuntime, type StreamOutcome } from "./provider-base.js";
import type { FinishReason, LanguageModel, Sample, SamplingOptions, Usage, Warning } from "./types.js";

export interface OpenAIProviderOptions {
  model: string;
  apiKey: string;
  /** e.g. https://api.openai.com/v1, or http://localhost:11434/v1 for a compatible server. */
  baseURL?: string;
  /** "openai-compatible" sends the widely supported `max_tokens` and is never priced. */
  flavor?: "openai" | "openai-compatible";
  fetch?: typeof fetch;
  runtime?: Partial<ProviderRuntime>;
}

export function mapFinish(raw: string | null | undefined): FinishReason {
  switch (raw) {
    case "stop":
      return "stop";
    case "length":
      return "length";
    case "content_filter":
      return "content-filter";
    default:
      return "other";
  }
}

/** Maps our sampling options to Chat Completions parameters for this model. */
export function mapOpenAISampling(model: string, flavor: "openai" | "openai-compatible", s: SamplingOptions): { params: Record<string, unknown>; warnings: Warning[] } {
  const info = openaiModelInfo(model);
  const params: Record<string, unknown> = {};
  const warnings: Warning[] = [];
  if (!info.known) {
    warnings.push({ type: "assumed", feature: "model", detail: `${model} is not in the capability table; assuming a chat model with temperature 0..2` });
  }
  if (info.reasoning) {
    if (s.temperature !== undefined) warnings.push({ type: "unsupported", feature: "temperature", detail: `${model} is a reasoning model; temperature not sent` });
    if (s.topP !== undefined) warnings.push({ type: "unsupported", feature: "topP", detail: `${model} is a reasoning model; top_p not sent` });
    if (s.reasoningEffort !== undefined) params.reasoning_effort = s.reasoningEffort;
    if (s.maxOutputTokens !== undefined) params.max_completion_tokens = s.maxOutputTokens;
  } else {
    if (s.temperature !== undefined) {
      const t = clamp(s.temperature, temperatureRange.openai);
      if (t !== s.temperature) warnings.push({ type: "clamped", feature: "temperature", detail: `${s.temperature} clamped to ${t} (range 0..2)` });
      params.temperature = t;
    }
    if (s.topP !== undefined) params.top_p = clamp(s.topP, [0, 1]);
    if (s.reasoningEffort !== undefined) warnings.push({ type: "unsupported", feature: "reasoningEffort", detail: `${model} is not a reasoning model; reasoning effort not sent` });
    if (s.maxOutputTokens !== undefined) params[flavor === "openai" ? "max_completion_tokens" : "max_tokens"] = s.maxOutputTokens;
  }
  if (s.thinkingBudgetTokens !== undefined) {
    warnings.push({ type: "unsupported", feature: "thinkingBudgetTokens", detail: "a thinking budget is Anthropic's; use reasoningEffort for OpenAI reasoning models" });
  }
  return { params, warnings };
}

export function createOpenAIModel(options: OpenAIProviderOptions): LanguageModel {
  const flavor = options.flavor ?? "openai";
  const runtime = runtimeWithDefaults(options.runtime);
  // Our own retry loop records every attempt, so the SDK's is off.
  // The SDK is loaded on first use: it is large, and most commands never call a model.
  let client: OpenAI | undefined;
  const getClient = async (): Promise<OpenAI> => {
    const { default: OpenAISDK } = await import("openai");
    return (client ??= new OpenAISDK({
    apiKey: options.apiKey,
    baseURL: options.baseURL,
    maxRetries: 0,
    timeout: runtime.timeoutMs,
    logLevel: "off",
    ...(options.fetch ? { fetch: options.fetch } : {}),
    }));
  };
  const where = { provider: flavor, model: options.model };

  const adapter: ProviderAdapter = {
    provider: flavor,
    model: options.model,
    nativeN: true,
    map: (s) => mapOpenAISampling(options.model, flavor, s),
    async stream(call): Promise<StreamOutcome> {
      const stream = await (await getClient()).chat.completions.create(
        {
          model: options.model,
          messages: call.messages.map((m) => ({ role: m.role, content: m.content })),
          ...(call.n > 1 ? { n: call.n } : {}),
          ...call.params,
          stream: true,
          stream_options: { include_usage: true },
        } as OpenAI.Chat.ChatCompletionCreateParamsStreaming,
        { signal: call.signal },
      );
      call.onActivity();
      const texts = new Map<number, string>();
      const finish = new Map<number, string>();
      let usage: Usage | null = null;
      for await (const chunk of stream) {
        call.onActivity();
        if (chunk.usage) usage = { inputTokens: chunk.usage.prompt_tokens ?? 0, outputTokens: chunk.usage.completion_tokens ?? 0 };
        for (const choice of chunk.choices ?? []) {
          const i = choice.index ?? 0;
          if (!texts.has(i)) texts.set(i, "");
          const delta = choice.delta?.content;
          if (delta) {
            texts.set(i, texts.get(i) + delta);
            call.onDelta(delta, i);
          }
          if (choice.finish_reason) finish.set(i, choice.finish_reason);
        }
      }
      if (call.signal.aborted) return { samples: [], usage };
      const unfinished = [...texts.keys()].filter((i) => !finish.has(i));
      if (texts.size === 0 || unfinished.length > 0) {
        throw new LlmError({
          ...where,
          code: "malformed_stream",
          reason: "truncated",
          detail: texts.size === 0 ? "no choice was streamed" : `choice ${unfinished.join(", ")} has no finish reason`,
        });
      }
      const samples: Sample[] = [...texts.keys()]
        .sort((a, b) => a - b)
        .map((i) => ({ text: texts.get(i)!, finishReason: mapFinish(finish.get(i)), rawFinishReason: finish.get(i) ?? null }));
      return { samples, usage };
    },
  };
  return createProviderModel(adapter, runtime);
}
