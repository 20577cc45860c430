import { readFileSync } from "node:fs";
import { z } from "zod";
import { VerdictSchema, type Verdict } from "../harness/verdict.js";
import type { VerifyOptions } from "../harness/verify.js";
import type { SubgraphAuthor } from "./author.js";
import { brief, dispatch, type KernelRecord, type VerdictBrief } from "./dispatch.js";
import type { PipelineRunDir } from "./events.js";
import { formatKernelBench, sha256 } from "./format.js";
import { modelMapping, type ModelMappingResult } from "./model-mapping.js";
import type { ComposeFn, RegionsFn } from "./harness-calls.js";
import type { LanguageModel } from "../llm/types.js";
import { modelCompose } from "./model-composer.js";
import { changedResult, modelFuse } from "./model-fuser.js";
import { BranchSideSchema, RegionsDocumentSchema, type BranchSide, type RegionsPlan, type SubgraphsFile } from "./plan.js";

/**
 * The pipeline route: fuse and extract (the regions harness writes fused.py and one functional
 * problem per unique subgraph), dispatch (a verified kernel per subgraph), compose (composed.py:
 * the fused structure launching them), verify end to end against the original problem (with extra
 * runs for branch sides the default trials never take), and format model_new.py with mapping.json.
 * Each stage's artefact in the run directory marks it done for `--resume`.
 */

export interface PipelineRouteOptions {
  problem: string;
  sets?: Record<string, string>;
  device?: "auto" | "cuda" | "cpu";
  trials?: number;
  timeoutMs?: number;
  jobs?: number;
  outputFormat?: "kernelbench" | "composed";
  /** replies the model fuser / composer may give before the stage fails (default 3 each) */
  fuserAttempts?: number;
  composerAttempts?: number;
  signal?: AbortSignal;
}

export interface PipelineRouteDeps {
  regions: RegionsFn;
  compose: ComposeFn;
  verify: (o: VerifyOptions) => Promise<Verdict>;
  authors: SubgraphAuthor[];
  /** the models of the fuse and compose stages, for what the deterministic ones do not handle */
  fuser?: LanguageModel | null;
  composer?: LanguageModel | null;
  /** the model that writes a mapping where capture leaves it uncertain (model-mapping.ts); null: none configured */
  mapper?: LanguageModel | null;
}

export interface BranchCoverage extends BranchSide {
  /** verified: a verification run took this side; unverified: none did */
  status: "verified" | "unverified";
}

export interface PipelineRouteResult {
  ok: boolean;
  status: "verified" | "rejected" | "fuse_failed" | "dispatch_failed" | "compose_failed" | "format_failed";
  message: string;
  modelNew: string | null;
  kernels: KernelRecord[];
  subgraphs: { id: string; count: number; ops: string[] }[];
  branches: BranchCoverage[];
  verdict: VerdictBrief | null;
}

export async function runPipelineRoute(rd: PipelineRunDir, o: PipelineRouteOptions, deps: PipelineRouteDeps): Promise<PipelineRouteResult> {
  const fail = (status: PipelineRouteResult["status"], message: string, extra: Partial<PipelineRouteResult> = {}): PipelineRouteResult => ({
    ok: false, status, message, modelNew: null, kernels: [], subgraphs: [], branches: [], verdict: null, ...extra,
  });

  // fuse + extract
  let plan = rd.readJson("regions.json", RegionsDocumentSchema);
  if (plan?.ok) rd.emit("fuse", "reused", { fused: plan.fused, by: plan.fusedBy ?? "deterministic" });
  else {
    rd.emit("fuse", "started", {});
    plan = await deps.regions({ problem: o.problem, outDir: rd.dir, sets: o.sets, trials: o.trials, device: o.device, signal: o.signal });
    const changed = plan.ok ? changedResult(plan) : null;
    if (!plan.ok || changed) {
      const message = plan.ok ? changed! : plan.message;
      rd.emit("fuse", "failed", plan.ok ? { message } : { code: plan.code, construct: plan.construct, line: plan.line, message });
      // a construct the deterministic fuser does not cut, or a cut that changed the result: the model may rewrite it
      if (!(plan.ok || plan.code === "unhandled") || !deps.fuser) return fail("fuse_failed", message);
      const m = await modelFuse(rd, { ...o, attempts: o.fuserAttempts ?? 3 }, { model: deps.fuser, regions: deps.regions }, message);
      if (!m.ok) return fail("fuse_failed", `${message} | ${m.message}`);
      plan = m.plan;
    }
    rd.writeJson("regions.json", plan);
    rd.emit("fuse", "completed", { fused: plan.fused, regions: plan.regions.length, conditions: plan.branches.length / 2 });
  }
  const subgraphsFile: SubgraphsFile = { schema: "tritonize.subgraphs/1", problem: o.problem, subgraphs: plan.subgraphs, conditionReads: plan.conditionReads };
  rd.writeJson("subgraphs.json", subgraphsFile);
  rd.emit("extract", "completed", { subgraphs: plan.subgraphs.map((s) => ({ id: s.id, count: s.count, ops: s.ops })) });
  const subgraphs = plan.subgraphs.map((s) => ({ id: s.id, count: s.count, ops: s.ops }));

  // dispatch
  const kernels = await dispatch({ runDir: rd, subgraphs: plan.subgraphs, authors: deps.authors, jobs: o.jobs ?? 2, device: o.device, trials: o.trials, signal: o.signal });
  const failed = kernels.filter((k) => !k.ok);
  if (failed.length) {
    const why = failed.map((k) => `${k.id}: ${k.failures.map((f) => f.message).join(" / ")}`).join("; ");
    return fail("dispatch_failed", `${failed.length} of ${kernels.length} subgraphs have no verified kernel: ${why}`, { kernels, subgraphs });
  }

  // compose + verify
  const composed = rd.path("composed.py");
  const verified = rd.readJson("composed.verdict.json", VerdictDocSchema);
  let verdict: VerdictBrief;
  let branches: BranchCoverage[];
  if (verified?.verdict.ok && rd.has("composed.py") && sha256(readFileSync(composed, "utf8")) === verified.hash) {
    rd.emit("compose", "reused", { composed });
    verdict = verified.verdict;
    branches = verified.branches;
  } else {
    const kernelsPath = rd.writeJson("kernels.json", Object.fromEntries(kernels.map((k) => [k.id, k.kernel])));
    rd.emit("compose", "started", {});
    const c = await deps.compose({ plan: rd.path("regions.json"), kernels: kernelsPath, out: composed, sets: o.sets, signal: o.signal });
    let r: { verdict: VerdictBrief; branches: BranchCoverage[] };
    if (c.ok) {
      rd.emit("compose", "completed", { composed });
      r = await verifyComposed(rd, plan, o, deps, composed);
    } else {
      rd.emit("compose", "failed", { message: c.message });
      if (!deps.composer) return fail("compose_failed", c.message, { kernels, subgraphs });
      const m = await modelCompose(rd, plan, kernels, { ...o, attempts: o.composerAttempts ?? 3 }, { model: deps.composer, verify: deps.verify }, c.message);
      if (!m.ok) return fail("compose_failed", `${c.message} | ${m.message}`, { kernels, subgraphs });
      r = m.value;
    }
    verdict = r.verdict;
    branches = r.branches;
    rd.writeJson("composed.verdict.json", { verdict, branches, hash: sha256(readFileSync(composed, "utf8")) });
    if (!verdict.ok) return fail("rejected", `composed.py rejected at ${verdict.stage}: ${verdict.message}`, { kernels, subgraphs, branches, verdict });
  }

  // format
  if ((o.outputFormat ?? "kernelbench") === "composed") {
    const modelNew = rd.write("model_new.py", readFileSync(composed, "utf8"));
    return { ok: true, status: "verified", message: verdict.message, modelNew, kernels, subgraphs, branches, verdict };
  }
  const mapped = deps.mapper ? reusedModelMapping(rd) : null;
  if (mapped) return { ok: true, status: "verified", message: mapped.message, modelNew: rd.path("model_new.py"), kernels, subgraphs, branches, verdict: brief(mapped) };
  const f = formatKernelBench({ problem: o.problem, composed, subgraphs: subgraphsFile, outDir: rd.dir });
  rd.emit("format", f.ok ? "completed" : "failed", { message: f.message, certain: f.mapping?.certain ?? false });
  if (!f.ok && deps.mapper) {
    const m = await mapWithModel(rd, o, deps.mapper, deps.verify, subgraphsFile, f.message);
    if (!m.ok) return fail("format_failed", m.message, { kernels, subgraphs, branches, verdict });
    return { ok: true, status: "verified", message: m.message, modelNew: m.modelNew, kernels, subgraphs, branches, verdict: m.verdict ? brief(m.verdict) : verdict };
  }
  if (!f.ok || !f.modelNew) return fail("format_failed", deps.mapper === null ? `${f.message}; a model-written mapping needs a configured provider (the mapper stage)` : f.message, { kernels, subgraphs, branches, verdict });
  // model_new.py holds the same bytes as the verified composed.py: its verdict stands
  rd.emit("verify", "reused", { candidate: f.modelNew, hash: f.hash, message: "model_new.py is composed.py byte for byte; its verdict stands" });
  return { ok: true, status: "verified", message: verdict.message, modelNew: f.modelNew, kernels, subgraphs, branches, verdict };
}

/** The model-written mapping (model-mapping.ts), its attempts in `mapping/`, each one an event. */
async function mapWithModel(rd: PipelineRunDir, o: PipelineRouteOptions, model: LanguageModel, verify: PipelineRouteDeps["verify"], subgraphs: SubgraphsFile, reason: string): Promise<ModelMappingResult> {
  rd.emit("format", "started", { by: "model", reason });
  const m = await modelMapping(
    { problem: o.problem, problemSource: readFileSync(o.problem, "utf8"), composedSource: readFileSync(rd.path("composed.py"), "utf8"), subgraphs, reason, dir: rd.path("mapping"), outDir: rd.dir, device: o.device, trials: o.trials, sets: o.sets, timeoutMs: o.timeoutMs, signal: o.signal },
    { model, verify },
  );
  for (const a of m.attempts) rd.emit("format", a.failedAt ? "failed" : "completed", { by: "model", attempt: a.attempt, failedAt: a.failedAt, message: a.message });
  if (m.ok && m.verdict) rd.writeJson("model_new.verdict.json", { verdict: m.verdict, hash: m.hash, composedHash: sha256(readFileSync(rd.path("composed.py"), "utf8")) });
  return m;
}

/** The verdict on a model-written model_new.py, by its hash and its composed.py's, so `--resume` does not ask again. */
const ModelNewVerdictSchema = z.object({ verdict: VerdictSchema, hash: z.string(), composedHash: z.string() });

function reusedModelMapping(rd: PipelineRunDir): Verdict | null {
  const done = rd.readJson("model_new.verdict.json", ModelNewVerdictSchema);
  const hashOf = (f: string) => (rd.has(f) ? sha256(readFileSync(rd.path(f), "utf8")) : null);
  if (!done?.verdict.ok || hashOf("model_new.py") !== done.hash || hashOf("composed.py") !== done.composedHash) return null;
  rd.emit("format", "reused", { by: "model", modelNew: rd.path("model_new.py") });
  return done.verdict;
}

const VerdictDocSchema = z.object({
  verdict: z.object({ ok: z.boolean(), stage: z.string(), code: z.string().nullable(), message: z.string(), maxAbsErr: z.number().nullable() }),
  branches: z.array(BranchSideSchema.extend({ status: z.enum(["verified", "unverified"]) })),
  hash: z.string(),
});

/** The end-to-end verification, plus one run per branch side only another seed takes; verdicts go beside `at` (a folder of the run directory). */
export async function verifyComposed(rd: PipelineRunDir, plan: RegionsPlan, o: PipelineRouteOptions, deps: Pick<PipelineRouteDeps, "verify">, candidate: string, at = ""): Promise<{ verdict: VerdictBrief; branches: BranchCoverage[] }> {
  const base = { problem: o.problem, candidate, device: o.device, sets: o.sets, timeoutMs: o.timeoutMs, signal: o.signal, controlReads: plan.conditionReads };
  rd.emit("verify", "started", { candidate: base.candidate, trials: o.trials ?? 5, controlReads: plan.conditionReads });
  const v = await deps.verify({ ...base, trials: o.trials });
  rd.write(`${at}composed.verdict.default.json`, JSON.stringify(v, null, 2) + "\n");
  rd.emit("verify", v.ok ? "completed" : "failed", { stage: v.stage, code: v.code, message: v.message, maxAbsErr: v.maxAbsErr });
  const branches: BranchCoverage[] = plan.branches.map((b) => ({ ...b, status: b.trialSeeds.length ? "verified" : "unverified" }));
  if (!v.ok) return { verdict: brief(v), branches };
  for (const b of branches) {
    if (b.status === "verified" || b.extraBaseSeed === null) continue;
    // a side none of the default trials takes: verify again under the seed whose first trial takes it
    const extra = await deps.verify({ ...base, trials: 1, seed: b.extraBaseSeed });
    rd.write(`${at}composed.verdict.seed-${b.extraBaseSeed}.json`, JSON.stringify(extra, null, 2) + "\n");
    rd.emit("verify", extra.ok ? "completed" : "failed", { seed: b.extraBaseSeed, condition: b.condition, side: b.side, message: extra.message });
    if (!extra.ok) return { verdict: brief(extra), branches };
    for (const c of branches) if (c.extraBaseSeed === b.extraBaseSeed) c.status = "verified";
  }
  return { verdict: brief(v), branches };
}
