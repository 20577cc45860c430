import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { renderFeedback, summarizeVerdict } from "../agent/feedback.js";
import type { Verdict } from "../harness/verdict.js";
import type { VerifyOptions } from "../harness/verify.js";
import type { LanguageModel, Message } from "../llm/types.js";
import { renderPrompt } from "../prompts/render.js";
import { forwardArgs, modelNewFrom } from "./format-mapping.js";
import { MappingSchema, type Mapping } from "./mapping.js";
import { checkReply, mappingOf, MappingReplySchema, type MappingReply } from "./mapping-reply.js";
import type { SubgraphsFile } from "./plan.js";
import { sha256 } from "./format.js";

/**
 * The model-written mapping, for when capture does not make it certain: the model gets the
 * original problem, the composed kernels and the subgraphs' fusion information and answers with a
 * mapping (JSON, zod-validated, then checked against the composed module and the subgraphs); the
 * formatter builds model_new.py from it and the harness verifies it (KernelBench's construction
 * protocol and every integrity check). An invalid reply is re-asked with the validation error, a
 * rejected model_new.py with the verdict, until `attempts` is spent; then the stage fails naming
 * every attempt. Each attempt's prompt, reply, model_new.py and verdict are kept in `dir`.
 */

export interface ModelMappingOptions {
  problem: string;
  problemSource: string;
  composedSource: string;
  subgraphs: SubgraphsFile;
  /** why the deterministic mapping did not hold (the model is told) */
  reason: string;
  /** folder for the attempts; model_new.py and mapping.json land in `outDir` */
  dir: string;
  outDir: string;
  attempts?: number;
  device?: VerifyOptions["device"];
  trials?: number;
  sets?: Record<string, string>;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface ModelMappingDeps {
  model: LanguageModel;
  verify: (o: VerifyOptions) => Promise<Verdict>;
}

export interface MappingAttempt {
  attempt: number;
  /** what stopped it: the provider, the reply's JSON, its schema, its check against the composed module, verification */
  failedAt: "provider" | "json" | "schema" | "check" | "verify" | null;
  message: string;
}

export interface ModelMappingResult {
  ok: boolean;
  message: string;
  modelNew: string | null;
  mapping: Mapping | null;
  verdict: Verdict | null;
  hash: string | null;
  attempts: MappingAttempt[];
}

export const DEFAULT_MAPPING_ATTEMPTS = 3;

export async function modelMapping(o: ModelMappingOptions, deps: ModelMappingDeps): Promise<ModelMappingResult> {
  const budget = o.attempts ?? DEFAULT_MAPPING_ATTEMPTS;
  const args = forwardArgs(o.problemSource);
  const messages: Message[] = [
    { role: "system", content: renderPrompt("mapping-system", {}) },
    { role: "user", content: renderPrompt("mapping-request", requestContext(o)) },
  ];
  const attempts: MappingAttempt[] = [];
  let lastVerdict: Verdict | null = null;
  for (let n = 1; n <= budget; n++) {
    const dir = join(o.dir, `attempt-${n}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "prompt.md"), messages.at(-1)!.content);
    let text: string;
    try {
      const res = await deps.model.generate({ messages: [...messages], signal: o.signal, sampling: { temperature: 0.2 } });
      text = res.samples[0]?.text ?? "";
    } catch (e) {
      // the provider already retried what it could: the stage ends here, saying why
      attempts.push({ attempt: n, failedAt: "provider", message: `${deps.model.provider}:${deps.model.model}: ${(e as Error).message}` });
      break;
    }
    writeFileSync(join(dir, "response.md"), text);
    messages.push({ role: "assistant", content: text });
    const parsed = parseReply(text, o.composedSource, o.subgraphs, args);
    if (!parsed.ok) {
      attempts.push({ attempt: n, failedAt: parsed.failedAt, message: parsed.message });
      messages.push({ role: "user", content: renderPrompt("mapping-retry", { kind: parsed.failedAt, feedback: parsed.message }) });
      continue;
    }
    const source = modelNewFrom(o.problemSource, o.composedSource, parsed.reply);
    const candidate = join(dir, "model_new.py");
    writeFileSync(candidate, source);
    const v = await deps.verify({ problem: o.problem, candidate, device: o.device, trials: o.trials, sets: o.sets, timeoutMs: o.timeoutMs, signal: o.signal, controlReads: o.subgraphs.conditionReads });
    writeFileSync(join(dir, "verdict.json"), JSON.stringify(v, null, 2) + "\n");
    lastVerdict = v;
    if (v.ok) {
      attempts.push({ attempt: n, failedAt: null, message: v.message });
      const mapping = MappingSchema.parse(mappingOf(parsed.reply, o.subgraphs.subgraphs, n));
      mkdirSync(o.outDir, { recursive: true });
      const modelNew = join(o.outDir, "model_new.py");
      writeFileSync(modelNew, source);
      writeFileSync(join(o.outDir, "mapping.json"), JSON.stringify(mapping, null, 2) + "\n");
      return { ok: true, message: `model_new.py written from a model-written mapping (attempt ${n}); ${v.message}`, modelNew, mapping, verdict: v, hash: sha256(source), attempts };
    }
    attempts.push({ attempt: n, failedAt: "verify", message: `rejected at ${v.stage}: ${summarizeVerdict(v)}` });
    messages.push({ role: "user", content: renderPrompt("mapping-retry", { kind: "verify", feedback: renderFeedback(v, source) }) });
    if (o.signal?.aborted) break;
  }
  const list = attempts.map((a) => `attempt ${a.attempt}: ${a.failedAt}: ${a.message}`).join("; ");
  return {
    ok: false,
    message: `mapping: no model-written mapping verified in ${attempts.length} of ${budget} attempts (${list})`,
    modelNew: null, mapping: null, verdict: lastVerdict, hash: null, attempts,
  };
}

type Parsed = { ok: true; reply: MappingReply } | { ok: false; failedAt: "json" | "schema" | "check"; message: string };

/** The reply's mapping: its one JSON object (fenced or bare), schema-valid and consistent. */
export function parseReply(text: string, composed: string, subgraphs: SubgraphsFile, args: string[]): Parsed {
  const fenced = [...text.matchAll(/```(?:json)?\s*\n([\s\S]*?)\n\s*```/g)].map((m) => m[1]!);
  const body = fenced.at(-1) ?? text.slice(text.indexOf("{"), text.lastIndexOf("}") + 1);
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch (e) {
    return { ok: false, failedAt: "json", message: `the reply holds no valid JSON object: ${(e as Error).message}` };
  }
  const r = MappingReplySchema.safeParse(raw);
  if (!r.success) return { ok: false, failedAt: "schema", message: `the mapping does not fit its schema: ${issues(r.error)}` };
  const wrong = checkReply(r.data, { composed, subgraphs: subgraphs.subgraphs, forwardArgs: args });
  if (wrong) return { ok: false, failedAt: "check", message: wrong };
  return { ok: true, reply: r.data };
}

function issues(e: z.ZodError): string {
  return e.issues.slice(0, 5).map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
}

function requestContext(o: ModelMappingOptions): Record<string, unknown> {
  return {
    reason: o.reason,
    problem: o.problemSource,
    composed: o.composedSource,
    forwardArgs: forwardArgs(o.problemSource).join(", "),
    subgraphs: o.subgraphs.subgraphs.map((s) => ({
      id: s.id,
      ops: s.ops.join(", "),
      count: s.count,
      arguments: [
        ...s.inputs.map((x) => `${x.input}: input ${JSON.stringify(x.shape)} ${x.dtype}`),
        ...s.weights.map((w) => `${w.input}: ${w.kind} ${JSON.stringify(w.shape)} ${w.dtype}, captured as ${w.expr} (${w.name})`),
      ],
      outputs: s.outputs.map((x) => `${JSON.stringify(x.shape)} ${x.dtype}`).join(", "),
      where: s.where.map((w) => `region ${w.region} (line ${w.line}${w.branch ? `, ${w.branch}` : ""}): tensors ${w.args.join(", ") || "none"}`),
    })),
  };
}
