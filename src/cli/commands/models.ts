import type { Command } from "commander";
import { parseModelRef, resolveConfig, stages, type ProviderConfig, type TritonizeConfig } from "../../config/config.js";
import { createModel } from "../../config/create-model.js";
import { LlmError, renderProviderError } from "../../llm/errors.js";
import type { SetExit } from "./index.js";

export interface ModelsOptions {
  check?: boolean;
  json?: boolean;
  model?: string;
}

export interface ModelsDeps {
  env?: Record<string, string | undefined>;
  cwd?: string;
  out?: (text: string) => void;
  err?: (text: string) => void;
  fetch?: typeof fetch;
}

interface CheckResult {
  provider: string;
  model: string | null;
  ok: boolean;
  latencyMs: number | null;
  error: string | null;
}

/** `tritonize models`: what is configured (never keys) and, with --check, one tiny request to each. */
export async function runModels(opts: ModelsOptions, deps: ModelsDeps = {}): Promise<number> {
  const out = deps.out ?? ((t: string) => void process.stdout.write(t));
  const err = deps.err ?? ((t: string) => void process.stderr.write(t));
  let config: TritonizeConfig;
  try {
    config = resolveConfig({ env: deps.env, cwd: deps.cwd, flags: { model: opts.model } });
  } catch (e) {
    err(`tritonize: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
  const providers = Object.values(config.providers);
  if (providers.length === 0) {
    // resolveStage words the one-line "set these variables" message.
    try {
      createModel(config, "kernel");
    } catch (e) {
      err(`tritonize: ${e instanceof Error ? e.message : String(e)}\n`);
    }
    return 1;
  }
  const stageRows = stages.map((stage) => {
    const m = config.models[stage];
    if (!m) return { stage, model: null, provider: null, source: null, problem: "no model: set TRITONIZE_MODEL" };
    const ref = parseModelRef(m.name);
    const p = config.providers[ref.provider];
    return { stage, model: ref.model, provider: p?.id ?? null, source: m.variable, problem: p ? null : `provider ${ref.provider} not configured` };
  });
  const checks: CheckResult[] = opts.check ? await Promise.all(providers.map((p) => checkProvider(config, p, deps.fetch))) : [];

  if (opts.json) {
    out(
      `${JSON.stringify(
        {
          providers: providers.map((p) => ({ id: p.id, baseURL: p.baseURL, key: p.keySource })),
          stages: stageRows,
          dotenv: config.dotenvPath,
          ...(opts.check ? { checks } : {}),
        },
        null,
        2,
      )}\n`,
    );
  } else {
    out("providers\n");
    for (const p of providers) out(`  ${p.id.padEnd(18)} ${p.baseURL.padEnd(34)} key: ${p.keySource}\n`);
    out("models\n");
    for (const r of stageRows) {
      out(`  ${r.stage.padEnd(10)} ${r.model ? `${r.provider ?? "?"}:${r.model}` : "-"}${r.source ? `  (${r.source})` : ""}${r.problem ? `  ! ${r.problem}` : ""}\n`);
    }
    if (config.dotenvPath) out(`read ${config.dotenvPath}\n`);
    for (const line of config.dotenvErrors) out(`  .env ${line}\n`);
    if (opts.check) {
      out("check\n");
      for (const c of checks) {
        out(`  ${c.provider.padEnd(18)} ${(c.model ?? "-").padEnd(24)} ${c.ok ? `ok ${c.latencyMs}ms` : `FAILED: ${c.error}`}\n`);
      }
    }
  }
  const stageProblem = stageRows.some((r) => r.problem);
  return checks.some((c) => !c.ok) || stageProblem ? 1 : 0;
}

/** One tiny request, no retries, so a failure shows at once. */
async function checkProvider(config: TritonizeConfig, provider: ProviderConfig, fetchImpl?: typeof fetch): Promise<CheckResult> {
  const kind = provider.id === "anthropic" ? "anthropic" : "openai";
  const stage = stages.find((s) => {
    const m = config.models[s];
    return m && parseModelRef(m.name).provider === kind;
  });
  if (!stage) {
    return { provider: provider.id, model: null, ok: false, latencyMs: null, error: "no stage uses this provider; set TRITONIZE_MODEL (e.g. a provider:model name)" };
  }
  const lm = createModel({ ...config, maxRetries: 0, timeoutMs: Math.min(config.timeoutMs, 60_000) }, stage, fetchImpl ? { fetch: fetchImpl } : {});
  try {
    const r = await lm.generate({ messages: [{ role: "user", content: "Reply with the single word: ok" }], sampling: { maxOutputTokens: 16 } });
    return { provider: provider.id, model: lm.model, ok: true, latencyMs: r.latencyMs, error: null };
  } catch (e) {
    return { provider: provider.id, model: lm.model, ok: false, latencyMs: null, error: e instanceof LlmError ? renderProviderError(e.detail) : String(e) };
  }
}

export function register(program: Command, setExit: SetExit): void {
  program
    .command("models")
    .description("Show the configured language model providers and the model of each stage; --check sends one tiny request to each.")
    .option("--check", "send one tiny request to each configured provider")
    .option("--json", "print JSON")
    .option("--model <name>", "model for every stage (provider:model or bare name)")
    .addHelpText(
      "after",
      "\nExit status: 0 configured (and, with --check, every provider answered), 1 a provider failed its\n  check or a stage has no model, 2 usage error.\n\nExample:\n  tritonize models --check\n",
    )
    .action(async (opts: ModelsOptions) => {
      setExit(await runModels(opts));
    });
}
