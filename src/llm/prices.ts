import type { Usage } from "./types.js";

/**
 * Published list prices in USD per million tokens (input, output), standard tier, checked
 * 2025-11. The one place to update. Names match by longest prefix, so dated snapshots
 * ("gpt-4o-2024-08-06") take their family's price. Models served by an OpenAI-compatible server
 * are not priced: their cost is reported as unknown.
 */
const prices: Record<"openai" | "anthropic", Record<string, [input: number, output: number]>> = {
  openai: {
    "gpt-5": [1.25, 10],
    "gpt-5-mini": [0.25, 2],
    "gpt-5-nano": [0.05, 0.4],
    "gpt-4.1": [2, 8],
    "gpt-4.1-mini": [0.4, 1.6],
    "gpt-4.1-nano": [0.1, 0.4],
    "gpt-4o": [2.5, 10],
    "gpt-4o-mini": [0.15, 0.6],
    o1: [15, 60],
    o3: [2, 8],
    "o3-mini": [1.1, 4.4],
    "o4-mini": [1.1, 4.4],
  },
  anthropic: {
    "claude-opus-4-5": [5, 25],
    "claude-opus-4-1": [15, 75],
    "claude-opus-4": [15, 75],
    "claude-sonnet-4-5": [3, 15],
    "claude-sonnet-4": [3, 15],
    "claude-3-7-sonnet": [3, 15],
    "claude-haiku-4-5": [1, 5],
    "claude-3-5-haiku": [0.8, 4],
  },
};

export interface Price {
  inputPerMTok: number;
  outputPerMTok: number;
}

export function priceOf(provider: string, model: string): Price | null {
  if (provider !== "openai" && provider !== "anthropic") return null;
  const table = prices[provider];
  let best: string | undefined;
  for (const prefix of Object.keys(table)) {
    const matches = model === prefix || model.startsWith(`${prefix}-`);
    if (matches && (!best || prefix.length > best.length)) best = prefix;
  }
  if (!best) return null;
  const [inputPerMTok, outputPerMTok] = table[best]!;
  return { inputPerMTok, outputPerMTok };
}

/** Cost in USD, or null when the model's price is not in the table. */
export function costOf(provider: string, model: string, usage: Usage): number | null {
  const p = priceOf(provider, model);
  if (!p) return null;
  return (usage.inputTokens * p.inputPerMTok + usage.outputTokens * p.outputPerMTok) / 1e6;
}
