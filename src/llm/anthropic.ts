import type Anthropic from "@anthropic-ai/sdk";
import { anthropicModelInfo, clamp, minThinkingBudgetTokens, temperatureRange } from "./capabilities.js";
import { LlmError } from "./errors.js";
import { createProviderModel, runtimeWithDefaults, type ProviderAdapter, type ProviderRuntime, type StreamOutcome } from "./provider-base.js";
import type { FinishReason, LanguageModel, SamplingOptions, Warning } from "./types.js";

export interface AnthropicProviderOptions {
  model: string;
  apiKey: string;
  baseURL?: string;
  fetch?: typeof fetch;
  runtime?: Partial<ProviderRuntime>;
}

export function mapStopReason(raw: string | null | undefined): FinishReason {
  switch (raw) {
    case "end_turn":
    case "stop_sequence":
      return "stop";
    case "max_tokens":
    case "model_context_window_exceeded":
      return "length";
    case "refusal":
      return "content-filter";
    default:
      return "other";
  }
}

/** Maps our sampling options to Messages API parameters for this model. */
export function mapAnthropicSampling(model: string, s: SamplingOptions): { params: Record<string, unknown>; warnings: Warning[] } {
  const info = anthropicModelInfo(model);
  const params: Record<string, unknown> = {};
  const warnings: Warning[] = [];
  if (!info.known) {
    warnings.push({ type: "assumed", feature: "maxOutputTokens", detail: `${model} is not in the capability table; output limit assumed ${info.maxOutputTokens} tokens (set maxOutputTokens if it allows more)` });
  }
  let maxTokens = s.maxOutputTokens ?? info.maxOutputTokens;
  if (maxTokens > info.maxOutputTokens && info.known) {
    warnings.push({ type: "clamped", feature: "maxOutputTokens", detail: `${maxTokens} clamped to ${info.maxOutputTokens}, the limit of ${model}` });
    maxTokens = info.maxOutputTokens;
  }
  params.max_tokens = maxTokens;

  let thinking = false;
  if (s.thinkingBudgetTokens !== undefined) {
    let budget = s.thinkingBudgetTokens;
    if (!info.thinking && info.known) {
      warnings.push({ type: "unsupported", feature: "thinkingBudgetTokens", detail: `${model} has no extended thinking; not sent` });
    } else {
      if (budget < minThinkingBudgetTokens) {
        warnings.push({ type: "clamped", feature: "thinkingBudgetTokens", detail: `${budget} raised to the minimum ${minThinkingBudgetTokens}` });
        budget = minThinkingBudgetTokens;
      }
      if (budget >= maxTokens) {
        // max_tokens counts thinking too, so the budget must leave room for the answer.
        const limited = maxTokens - 1;
        if (limited < minThinkingBudgetTokens) {
          warnings.push({ type: "unsupported", feature: "thinkingBudgetTokens", detail: `max_tokens ${maxTokens} leaves no room for a thinking budget; thinking not enabled` });
        } else {
          warnings.push({ type: "clamped", feature: "thinkingBudgetTokens", detail: `${budget} lowered to ${limited}, below max_tokens ${maxTokens}` });
          budget = limited;
        }
      }
      if (budget < maxTokens) {
        params.thinking = { type: "enabled", budget_tokens: budget };
        thinking = true;
      }
    }
  }
  if (s.temperature !== undefined) {
    if (thinking) {
      warnings.push({ type: "unsupported", feature: "temperature", detail: "temperature cannot be combined with extended thinking; not sent" });
    } else {
      const t = clamp(s.temperature, temperatureRange.anthropic);
      if (t !== s.temperature) warnings.push({ type: "clamped", feature: "temperature", detail: `${s.temperature} clamped to ${t} (range 0..1)` });
      params.temperature = t;
    }
  }
  if (s.topP !== undefined) {
    // Recent Claude models refuse temperature and top_p together, and thinking restricts top_p.
    if (thinking || params.temperature !== undefined) {
      warnings.push({ type: "unsupported", feature: "topP", detail: thinking ? "top_p not sent with extended thinking" : "top_p not sent together with temperature" });
    } else {
      params.top_p = clamp(s.topP, [0, 1]);
    }
  }
  if (s.reasoningEffort !== undefined) {
    warnings.push({ type: "unsupported", feature: "reasoningEffort", detail: "Anthropic models take thinkingBudgetTokens instead; not sent" });
  }
  return { params, warnings };
}

export function createAnthropicModel(options: AnthropicProviderOptions): LanguageModel {
  const runtime = runtimeWithDefaults(options.runtime);
  // The SDK is loaded on first use: it is large, and most commands never call a model.
  let client: Anthropic | undefined;
  const getClient = async (): Promise<Anthropic> => {
    const { default: AnthropicSDK } = await import("@anthropic-ai/sdk");
    return (client ??= new AnthropicSDK({
    apiKey: options.apiKey,
    authToken: null,
    baseURL: options.baseURL,
    maxRetries: 0,
    timeout: runtime.timeoutMs,
    logLevel: "off",
    ...(options.fetch ? { fetch: options.fetch } : {}),
    }));
  };
  const where = { provider: "anthropic", model: options.model };

  const adapter: ProviderAdapter = {
    provider: "anthropic",
    model: options.model,
    nativeN: false,
    map: (s) => mapAnthropicSampling(options.model, s),
    async stream(call): Promise<StreamOutcome> {
      // The system prompt is a top-level parameter in the Messages API; several system turns join.
      const system = call.messages.filter((m) => m.role === "system").map((m) => m.content).join("\n\n");
      const turns = call.messages.filter((m) => m.role !== "system").map((m) => ({ role: m.role as "user" | "assistant", content: m.content }));
      const stream = await (await getClient()).messages.create(
        {
          model: options.model,
          ...(system ? { system } : {}),
          messages: turns,
          ...call.params,
          stream: true,
        } as Anthropic.MessageCreateParamsStreaming,
        { signal: call.signal },
      );
      call.onActivity();
      let text = "";
      let started = false;
      let stopped = false;
      let stopReason: string | null = null;
      let inputTokens = 0;
      let outputTokens = 0;
      for await (const event of stream) {
        call.onActivity();
        switch (event.type) {
          case "message_start": {
            started = true;
            const u = event.message.usage;
            inputTokens = (u.input_tokens ?? 0) + (u.cache_creation_input_tokens ?? 0) + (u.cache_read_input_tokens ?? 0);
            outputTokens = u.output_tokens ?? 0;
            break;
          }
          case "content_block_delta":
            if (event.delta.type === "text_delta") {
              text += event.delta.text;
              call.onDelta(event.delta.text, 0);
            }
            break;
          case "message_delta":
            stopReason = event.delta.stop_reason ?? stopReason;
            if (event.usage?.output_tokens != null) outputTokens = event.usage.output_tokens;
            break;
          case "message_stop":
            stopped = true;
            break;
          default:
            break;
        }
      }
      const usage = started ? { inputTokens, outputTokens } : null;
      if (call.signal.aborted) return { samples: [], usage };
      if (!started || !stopped) {
        throw new LlmError({ ...where, code: "malformed_stream", reason: "truncated", detail: started ? "no message_stop event" : "no message_start event" });
      }
      return { samples: [{ text, finishReason: mapStopReason(stopReason), rawFinishReason: stopReason }], usage };
    },
  };
  return createProviderModel(adapter, runtime);
}
