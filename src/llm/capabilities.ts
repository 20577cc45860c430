/**
 * What each model accepts, in one place: temperature ranges, reasoning models, output limits,
 * extended thinking. Unknown models get defaults and the caller is warned.
 */

export const temperatureRange = {
  openai: [0, 2],
  anthropic: [0, 1],
} as const;

/** Gateways often prefix names ("openai/gpt-5"); capabilities follow the last path segment. */
function baseName(model: string): string {
  return model.slice(model.lastIndexOf("/") + 1).toLowerCase();
}

export interface OpenAIModelInfo {
  known: boolean;
  /** o-series and gpt-5: no temperature/top_p; reasoning_effort and max_completion_tokens instead. */
  reasoning: boolean;
}

const openaiKnown = [/^gpt-5/, /^gpt-4(\.\d+)?(o)?(-|$)/, /^gpt-4o/, /^gpt-3\.5/, /^o[134](-|$)/, /^chatgpt-/];

export function openaiModelInfo(model: string): OpenAIModelInfo {
  const name = baseName(model);
  const reasoning = /^o[134](-|$)/.test(name) || (/^gpt-5/.test(name) && !/-chat/.test(name));
  return { known: openaiKnown.some((re) => re.test(name)), reasoning };
}

export interface AnthropicModelInfo {
  known: boolean;
  /** Largest max_tokens the model accepts (thinking included). */
  maxOutputTokens: number;
  thinking: boolean;
}

/**
 * Longest matching prefix wins. Limits from Anthropic's model overview; rows marked "assumed"
 * are newer models given their predecessor's limit (a floor: raise it when the real one is known).
 */
const anthropicModels: Array<{ prefix: string; maxOutputTokens: number; thinking: boolean }> = [
  { prefix: "claude-opus-4-6", maxOutputTokens: 64_000, thinking: true }, // assumed
  { prefix: "claude-sonnet-4-6", maxOutputTokens: 64_000, thinking: true }, // assumed
  { prefix: "claude-opus-4-5", maxOutputTokens: 64_000, thinking: true },
  { prefix: "claude-opus-4-1", maxOutputTokens: 32_000, thinking: true },
  { prefix: "claude-opus-4", maxOutputTokens: 32_000, thinking: true },
  { prefix: "claude-sonnet-4-5", maxOutputTokens: 64_000, thinking: true },
  { prefix: "claude-sonnet-4", maxOutputTokens: 64_000, thinking: true },
  { prefix: "claude-haiku-4-5", maxOutputTokens: 64_000, thinking: true },
  { prefix: "claude-3-7-sonnet", maxOutputTokens: 64_000, thinking: true },
  { prefix: "claude-3-5-sonnet", maxOutputTokens: 8_192, thinking: false },
  { prefix: "claude-3-5-haiku", maxOutputTokens: 8_192, thinking: false },
  { prefix: "claude-3-opus", maxOutputTokens: 4_096, thinking: false },
  { prefix: "claude-3-haiku", maxOutputTokens: 4_096, thinking: false },
];

/**
 * For a model not in the table (a warning tells the user to set maxOutputTokens if it allows
 * more): Claude generations from 4 on all allow at least 32000 output tokens and thinking;
 * anything else gets the older 8192.
 */
export const unknownAnthropicMaxOutputTokens = { recent: 32_000, other: 8_192 };

export function anthropicModelInfo(model: string): AnthropicModelInfo {
  const name = baseName(model);
  let best: (typeof anthropicModels)[number] | undefined;
  for (const m of anthropicModels) if (name.startsWith(m.prefix) && (!best || m.prefix.length > best.prefix.length)) best = m;
  if (!best) {
    const generation = /^claude-[a-z]+-(\d+)/.exec(name);
    const recent = generation !== null && Number(generation[1]) >= 4;
    return { known: false, maxOutputTokens: recent ? unknownAnthropicMaxOutputTokens.recent : unknownAnthropicMaxOutputTokens.other, thinking: recent };
  }
  return { known: true, maxOutputTokens: best.maxOutputTokens, thinking: best.thinking };
}

/** Anthropic's smallest accepted thinking budget. */
export const minThinkingBudgetTokens = 1024;

export function clamp(value: number, [lo, hi]: readonly [number, number]): number {
  return Math.min(hi, Math.max(lo, value));
}
