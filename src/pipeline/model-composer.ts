import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import type { LanguageModel } from "../llm/types.js";
import { renderPrompt } from "../prompts/render.js";
import type { KernelRecord, VerdictBrief } from "./dispatch.js";
import type { PipelineRunDir } from "./events.js";
import { askWithinBudget, type AttemptOutcome } from "./model-loop.js";
import { parseComposerReply } from "./model-reply.js";
import type { RegionsPlan } from "./plan.js";
import { verifyComposed, type BranchCoverage, type PipelineRouteDeps, type PipelineRouteOptions } from "./pipeline-route.js";

/**
 * The model-driven composer, for fused modules the deterministic composer cannot compose (calls of
 * one region that no Python value or shape tells apart, ...): the model writes composed.py from
 * fused.py, the subgraphs and their verified kernel files. A reply is accepted only when its
 * ModelNew keeps the problem's __init__ and fused.py's forward verbatim (control flow stays Python)
 * and the harness verifies it end to end against the original, every branch side included; a
 * rejection is re-asked with the verdict, within `attempts`.
 */

export interface ModelComposed {
  verdict: VerdictBrief;
  branches: BranchCoverage[];
}

export async function modelCompose(
  rd: PipelineRunDir,
  plan: RegionsPlan,
  kernels: KernelRecord[],
  o: PipelineRouteOptions & { problem: string; attempts: number },
  deps: Pick<PipelineRouteDeps, "verify"> & { model: LanguageModel },
  refusal: string,
): Promise<{ ok: true; value: ModelComposed } | { ok: false; message: string }> {
  const problemSource = readFileSync(o.problem, "utf8");
  const fusedSource = readFileSync(plan.fused, "utf8");
  const check = async (reply: string, dir: string, n: number): Promise<AttemptOutcome<ModelComposed>> => {
    const parsed = parseComposerReply(reply, problemSource, fusedSource);
    if (!parsed.ok) return parsed;
    const candidate = join(dir, "composed.py");
    writeFileSync(candidate, parsed.value);
    const r = await verifyComposed(rd, plan, o, deps, candidate, `composer/attempt-${n}/`);
    if (!r.verdict.ok) return { ok: false, reason: `composed.py was rejected at ${r.verdict.stage}: ${r.verdict.message}` };
    copyFileSync(candidate, rd.path("composed.py"));
    return { ok: true, value: r };
  };
  return askWithinBudget({
    rd, stage: "compose", label: "model composer", folder: "composer", model: deps.model, budget: o.attempts, signal: o.signal, check,
    system: renderPrompt("composer-system", {}),
    request: renderPrompt("composer-request", {
      problemName: basename(o.problem), problemSource, fusedSource, refusal, regions: regionLines(plan), kernels: kernelFiles(plan, kernels),
    }),
    retry: (reason, attempt, left) => renderPrompt("composer-retry", { reason, attempt, left }),
  });
}

/** Each region method and what each of its observed calls launches. */
function regionLines(plan: RegionsPlan) {
  return plan.regions.map((r) => ({
    id: r.id, kind: r.kind, line: r.line, branch: r.branch, liveIn: r.liveIn,
    calls: r.instances.map((i) => {
      const modules = Object.entries(i.modules).map(([n, p]) => `${n} = self${attributePath(p)}`).join(", ");
      const shapes = Object.entries(i.guard.shapes).map(([n, s]) => `${n}: (${s.join(", ")})`).join(", ");
      const what = i.subgraph ? `launches ${i.subgraph} with its tensors, then the weights ${i.weights.join(", ") || "(none)"}` : "views only, kept as written";
      return `a call${modules ? ` with ${modules}` : ""}${shapes ? `, shapes ${shapes}` : ""}: ${what}`;
    }),
  }));
}

/** `blocks.0.fc` as Python reads it: `.blocks[0].fc`. */
function attributePath(path: string): string {
  return path.split(".").map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p}`)).join("");
}

function kernelFiles(plan: RegionsPlan, kernels: KernelRecord[]) {
  return plan.subgraphs.map((s) => {
    const k = kernels.find((x) => x.id === s.id);
    if (!k?.kernel) throw new Error(`subgraph ${s.id} has no verified kernel file; the composer runs only after every subgraph verified`);
    return { id: s.id, ops: s.ops, count: s.count, problem: readFileSync(s.problem, "utf8"), kernel: readFileSync(k.kernel, "utf8") };
  });
}
