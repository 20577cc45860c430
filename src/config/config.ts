import { LlmError, type ProviderId } from "../llm/errors.js";
import type { ModelStage } from "../llm/types.js";
import { readDotenvFile } from "./dotenv.js";
import { isPlaceholder } from "./placeholder.js";

export const stages: ModelStage[] = ["router", "fuser", "extractor", "kernel", "composer", "mapper"];

export const officialOpenAIBaseURL = "https://api.openai.com/v1";
export const officialAnthropicBaseURL = "https://api.anthropic.com";

/** Used when OPENAI_BASE_URL points at a server that ignores keys and none is given. */
export const dummyApiKey = "not-needed";

/** Default model per provider when TRITONIZE_MODEL is not set. A compatible server has none. */
export const defaultModels: Record<"openai" | "anthropic", string> = {
  openai: "gpt-5",
  anthropic: "claude-sonnet-4-6",
};

export interface ProviderConfig {
  id: ProviderId;
  baseURL: string;
  /** Never printed or recorded. */
  apiKey: string;
  /** Where the key came from, for display: "OPENAI_API_KEY", or "none (dummy)". */
  keySource: string;
}

export type Source = "flag" | "env" | ".env" | "default";

export interface TritonizeConfig {
  providers: Partial<Record<"openai" | "anthropic", ProviderConfig>>;
  /** The model name per stage as configured ("provider:model" or bare), before resolution. */
  models: Record<ModelStage, { name: string; source: Source; variable: string } | null>;
  workers: number;
  rounds: number;
  logLevel: "error" | "warn" | "info" | "debug";
  timeoutMs: number;
  maxRetries: number;
  dotenvPath: string | null;
  /** Lines of .env that could not be read. */
  dotenvErrors: string[];
}

export interface ConfigFlags {
  model?: string;
  workers?: string | number;
  rounds?: string | number;
  logLevel?: string;
}

export interface ConfigInput {
  env?: Record<string, string | undefined>;
  cwd?: string;
  flags?: ConfigFlags;
}

/**
 * Builds the configuration from CLI flags, then the environment, then ./.env (which never
 * overrides a variable already set), then defaults. Placeholder values count as unset.
 */
export function resolveConfig(input: ConfigInput = {}): TritonizeConfig {
  const env = input.env ?? process.env;
  const dotenv = readDotenvFile(input.cwd ?? process.cwd());
  const flags = input.flags ?? {};

  const read = (name: string): { value: string; source: Source } | null => {
    const fromEnv = env[name];
    if (fromEnv !== undefined && !isPlaceholder(fromEnv)) return { value: fromEnv.trim(), source: "env" };
    const fromFile = dotenv?.values[name];
    if (fromFile !== undefined && !isPlaceholder(fromFile)) return { value: fromFile.trim(), source: ".env" };
    return null;
  };

  const providers: TritonizeConfig["providers"] = {};
  const openaiKey = read("OPENAI_API_KEY");
  const openaiBase = read("OPENAI_BASE_URL");
  if (openaiBase && !isOfficial(openaiBase.value, officialOpenAIBaseURL)) {
    providers.openai = {
      id: "openai-compatible",
      baseURL: openaiBase.value.replace(/\/+$/, ""),
      apiKey: openaiKey?.value ?? dummyApiKey,
      keySource: openaiKey ? "OPENAI_API_KEY" : "none (dummy key sent)",
    };
  } else if (openaiKey) {
    providers.openai = { id: "openai", baseURL: officialOpenAIBaseURL, apiKey: openaiKey.value, keySource: "OPENAI_API_KEY" };
  }
  const anthropicKey = read("ANTHROPIC_API_KEY");
  if (anthropicKey) {
    providers.anthropic = {
      id: "anthropic",
      baseURL: (read("ANTHROPIC_BASE_URL")?.value ?? officialAnthropicBaseURL).replace(/\/+$/, ""),
      apiKey: anthropicKey.value,
      keySource: "ANTHROPIC_API_KEY",
    };
  }

  const general = flags.model !== undefined && !isPlaceholder(flags.model) ? { name: flags.model.trim(), source: "flag" as const, variable: "--model" } : null;
  const fromEnv = read("TRITONIZE_MODEL");
  const fallback = general ?? (fromEnv ? { name: fromEnv.value, source: fromEnv.source, variable: "TRITONIZE_MODEL" } : defaultModelFor(providers));
  const models = {} as TritonizeConfig["models"];
  for (const stage of stages) {
    const variable = `TRITONIZE_MODEL_${stage.toUpperCase()}`;
    const own = read(variable);
    // --model is the most explicit choice and applies to every stage.
    models[stage] = general ?? (own ? { name: own.value, source: own.source, variable } : fallback);
  }

  const int = (flag: string | number | undefined, variable: string, dflt: number, min: number): number => {
    const raw = flag !== undefined ? String(flag) : read(variable)?.value;
    if (raw === undefined) return dflt;
    const v = Number(raw);
    if (!Number.isInteger(v) || v < min) {
      throw new LlmError({ code: "invalid_config", variable: flag !== undefined ? `--${variable}` : variable, value: raw, expected: `an integer >= ${min}` });
    }
    return v;
  };
  const level = flags.logLevel ?? read("TRITONIZE_LOG_LEVEL")?.value ?? "info";
  if (!["error", "warn", "info", "debug"].includes(level)) {
    throw new LlmError({ code: "invalid_config", variable: "TRITONIZE_LOG_LEVEL", value: level, expected: "error, warn, info or debug" });
  }
  return {
    providers,
    models,
    workers: int(flags.workers, "TRITONIZE_WORKERS", 4, 1),
    rounds: int(flags.rounds, "TRITONIZE_ROUNDS", 8, 1),
    logLevel: level as TritonizeConfig["logLevel"],
    timeoutMs: int(undefined, "TRITONIZE_TIMEOUT_MS", 300_000, 1),
    maxRetries: int(undefined, "TRITONIZE_MAX_RETRIES", 4, 0),
    dotenvPath: dotenv?.path ?? null,
    dotenvErrors: dotenv?.errors ?? [],
  };
}

function isOfficial(url: string, official: string): boolean {
  return url.replace(/\/+$/, "") === official;
}

/** The official providers' defaults; a compatible server needs TRITONIZE_MODEL. */
function defaultModelFor(providers: TritonizeConfig["providers"]): TritonizeConfig["models"][ModelStage] {
  if (providers.openai?.id === "openai") return { name: defaultModels.openai, source: "default", variable: "default" };
  if (providers.anthropic) return { name: defaultModels.anthropic, source: "default", variable: "default" };
  return null;
}

export interface ModelRef {
  provider: "openai" | "anthropic";
  model: string;
}

const prefixes: Record<string, "openai" | "anthropic"> = {
  openai: "openai",
  "openai-compatible": "openai",
  compatible: "openai",
  anthropic: "anthropic",
};

/**
 * "anthropic:claude-opus-4-5" or bare "claude-opus-4-5" (claude-* is Anthropic, anything else the
 * OpenAI protocol: the official API or the compatible server). Only known prefixes split, so
 * Ollama names such as "llama3.1:8b" stay whole.
 */
export function parseModelRef(name: string): ModelRef {
  const colon = name.indexOf(":");
  if (colon > 0) {
    const provider = prefixes[name.slice(0, colon).toLowerCase()];
    if (provider) return { provider, model: name.slice(colon + 1) };
  }
  return { provider: /^claude-/i.test(name) ? "anthropic" : "openai", model: name };
}

/** The provider and model for a stage, or a typed not_configured error naming what to set. */
export function resolveStage(config: TritonizeConfig, stage: ModelStage): { provider: ProviderConfig; model: string } {
  const configured = Object.keys(config.providers).length > 0;
  if (!configured) {
    throw new LlmError({ code: "not_configured", reason: "no_provider", stage, variables: ["OPENAI_API_KEY", "ANTHROPIC_API_KEY", "OPENAI_BASE_URL (with TRITONIZE_MODEL)"] });
  }
  const chosen = config.models[stage];
  if (!chosen) {
    throw new LlmError({ code: "not_configured", reason: "no_model", stage, variables: ["TRITONIZE_MODEL", `TRITONIZE_MODEL_${stage.toUpperCase()}`] });
  }
  const ref = parseModelRef(chosen.name);
  const provider = config.providers[ref.provider];
  if (!provider) {
    const variables = ref.provider === "anthropic" ? ["ANTHROPIC_API_KEY"] : ["OPENAI_API_KEY", "OPENAI_BASE_URL"];
    throw new LlmError({ code: "not_configured", reason: "provider_missing", provider: ref.provider, model: ref.model, stage, variables });
  }
  return { provider, model: ref.model };
}
