import { copyFileSync, cpSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import type { LanguageModel } from "../llm/types.js";
import { renderPrompt } from "../prompts/render.js";
import type { PipelineRunDir } from "./events.js";
import type { RegionsFn } from "./harness-calls.js";
import { askWithinBudget, type AttemptOutcome } from "./model-loop.js";
import { parseFuserReply } from "./model-reply.js";
import type { RegionsPlan } from "./plan.js";

/**
 * The model-driven fuser, for problems the deterministic fuser does not cut (`with`, `try`, module
 * state set in forward, ...): the model rewrites the problem into a fused module following the
 * deterministic fuser's convention, and the regions harness adopts it (`regions --fused`): it is
 * observed under the verifier's seeds, compared with the original, and its region methods are
 * captured as the deterministic fuser's are. A rewrite is accepted only when its outputs equal the
 * problem's; anything else is re-asked with the reason, within `attempts`.
 */

/** The same operators in the same order give equal outputs, up to a device's run-to-run noise. */
const FUSED_TOLERANCE = 1e-6;

/** Why a fused module's outputs are not the problem's, or null when they are. */
export function changedResult(plan: RegionsPlan): string | null {
  if (plan.fusedMaxAbsErr <= FUSED_TOLERANCE) return null;
  return `fused.py changes the result: its outputs differ from the problem's by up to ${plan.fusedMaxAbsErr} on the verifier's inputs (trial seeds ${plan.seeds.trials.join(", ")}); a fused module computes exactly what the problem computes, in the same order`;
}

export interface ModelFuseOptions {
  problem: string;
  sets?: Record<string, string>;
  trials?: number;
  device?: "auto" | "cuda" | "cpu";
  timeoutMs?: number;
  signal?: AbortSignal;
  attempts: number;
}

export interface ModelFuserDeps {
  model: LanguageModel;
  regions: RegionsFn;
}

export async function modelFuse(rd: PipelineRunDir, o: ModelFuseOptions, deps: ModelFuserDeps, refusal: string): Promise<{ ok: true; plan: RegionsPlan } | { ok: false; message: string }> {
  const source = readFileSync(o.problem, "utf8");
  const numbered = source.split("\n").map((l, i) => `${String(i + 1).padStart(4)}  ${l}`).join("\n");
  const check = async (reply: string, dir: string): Promise<AttemptOutcome<RegionsPlan>> => {
    const parsed = parseFuserReply(reply, source);
    if (!parsed.ok) return parsed;
    const fused = join(dir, "fused.py");
    writeFileSync(fused, parsed.value.code);
    writeFileSync(join(dir, "manifest.json"), JSON.stringify(parsed.value.manifest, null, 2) + "\n");
    const doc = await deps.regions({ problem: o.problem, outDir: dir, fused, sets: o.sets, trials: o.trials, device: o.device, timeoutMs: o.timeoutMs, signal: o.signal });
    if (!doc.ok) return { ok: false, reason: doc.message };
    const changed = changedResult(doc);
    return changed ? { ok: false, reason: changed } : { ok: true, value: doc };
  };
  const r = await askWithinBudget({
    rd, stage: "fuse", label: "model fuser", folder: "fuser", model: deps.model, budget: o.attempts, signal: o.signal, check,
    system: renderPrompt("fuser-system", {}),
    request: renderPrompt("fuser-request", { problemName: basename(o.problem), numbered, refusal }),
    retry: (reason, attempt, left) => renderPrompt("fuser-retry", { reason, attempt, left }),
  });
  return r.ok ? { ok: true, plan: adoptInto(rd, r.value) } : r;
}

/** The accepted attempt's fused.py and subgraphs become the run directory's own. */
function adoptInto(rd: PipelineRunDir, plan: RegionsPlan): RegionsPlan {
  copyFileSync(plan.fused, rd.path("fused.py"));
  // whatever the deterministic fuser captured before it stopped is not this plan's
  rmSync(rd.path("subgraphs"), { recursive: true, force: true });
  const from = join(plan.fused, "..", "subgraphs");
  if (existsSync(from)) cpSync(from, rd.path("subgraphs"), { recursive: true });
  return {
    ...plan,
    fused: rd.path("fused.py"),
    subgraphs: plan.subgraphs.map((s) => ({ ...s, problem: rd.path(join("subgraphs", basename(s.problem))) })),
  };
}
