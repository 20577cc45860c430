import { writeFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { makeVerdict } from "../../agent/testing/scripted-verifier.js";
import type { RunResult } from "../../author/run-offline.js";
import type { SubgraphAuthor } from "../author.js";
import type { RegionsPlan, Subgraph } from "../plan.js";
import type { PipelineDeps } from "../run-pipeline.js";

/**
 * Test double: pipeline dependencies with no harness behind them. The regions stage returns a
 * plan of `subgraphs` unique subgraphs, the author writes a kernel file after `authorDelayMs`,
 * compose writes composed.py and every verification passes. `solved` lists the subgraphs the
 * author was asked for, in order. The direct route fails to capture, or as `direct` says. Not for
 * production use.
 */
export function scriptedDeps(o: { subgraphs: number; authorDelayMs?: number; failing?: string[]; direct?: { status: string; message: string } }): PipelineDeps & { solved: string[] } {
  const solved: string[] = [];
  const ok = makeVerdict({ ok: true, stage: "correctness", message: "ACCEPTED: scripted" });
  const author: SubgraphAuthor = {
    name: "scripted",
    async solve(req) {
      const id = req.problem.replace(/.*\/(sg\d+)\.py$/, "$1");
      solved.push(id);
      await new Promise((r) => setTimeout(r, o.authorDelayMs ?? 0));
      if (o.failing?.includes(id)) {
        return { ok: false, author: "scripted", message: `no kernel for ${id}`, verdicts: [makeVerdict({ ok: false, stage: "correctness", code: "mismatch", message: "REJECTED: scripted mismatch" })] };
      }
      mkdirSync(req.dir, { recursive: true });
      const kernel = join(req.dir, "model_new.py");
      writeFileSync(kernel, `# kernel for ${id}\n`);
      return { ok: true, author: "scripted", kernel, verdict: ok };
    },
  };
  return {
    solved,
    capture: async (c) => ({ schema: "tritonize.graph/1", ok: false, problem: c.problem, code: "trace_failed", message: "scripted: data-dependent control flow", line: 3 }),
    verify: async () => ok,
    regions: async (r) => plan(r.problem, r.outDir, o.subgraphs),
    compose: async (c) => {
      writeFileSync(c.out, "class ModelNew:\n    def __init__(self):\n        pass\n");
      return { schema: "tritonize.composed/1", ok: true, message: "composed", path: c.out };
    },
    authors: [author],
    direct: async (r): Promise<RunResult> => ({
      schema: "tritonize.run/1", ok: false, problem: r.problem, runDir: r.outDir ?? "", author: null, modelNew: null,
      status: "capture_failed", message: "scripted: the direct route cannot capture it", ...o.direct, kernels: null, steps: [], verdict: null,
    }),
    routeCache: null,
  };
}

function plan(problem: string, outDir: string, n: number): RegionsPlan {
  const subgraphs: Subgraph[] = Array.from({ length: n }, (_, i) => {
    const p = join(outDir, "subgraphs", `sg${i + 1}.py`);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, "# scripted subgraph\n");
    return {
      id: `sg${i + 1}`, signature: `s${i}`, problem: p, ops: ["relu"], inputs: [{ input: "x0", shape: [2], dtype: "float32" }],
      outputs: [{ shape: [2], dtype: "float32" }], weights: [], count: 1, where: [{ region: `r${i + 1}`, line: 10 + i, branch: "", modules: {}, args: ["x"], inputs: ["x"] }],
    };
  });
  writeFileSync(join(outDir, "fused.py"), "# scripted fused module\n");
  return {
    schema: "tritonize.regions/1", ok: true, problem, fused: join(outDir, "fused.py"), fusedMaxAbsErr: 0,
    seeds: { base: 42, trials: [1042] }, regions: [], subgraphs, branches: [], conditionReads: 0,
  };
}
