import { z } from "zod";
import { mapConcurrently } from "../author/map-concurrently.js";
import type { Verdict } from "../harness/verdict.js";
import { solveWithAuthors, type SubgraphAuthor } from "./author.js";
import type { PipelineRunDir } from "./events.js";
import type { Subgraph } from "./plan.js";

/**
 * The dispatcher: each unique subgraph's functional problem goes to the authors in order (offline
 * first, then the kernel agent when configured), `jobs` subgraphs at once. A verified kernel is
 * recorded in `kernels/<id>/result.json` and reused by `--resume`; a failure keeps its verdicts
 * and does not stop the other subgraphs.
 */

const VerdictBriefSchema = z.object({ ok: z.boolean(), stage: z.string(), code: z.string().nullable(), message: z.string(), maxAbsErr: z.number().nullable() });
export type VerdictBrief = z.infer<typeof VerdictBriefSchema>;

export const KernelRecordSchema = z.object({
  id: z.string(),
  ok: z.boolean(),
  author: z.string().nullable(),
  /** the verified kernel file, null when none verified */
  kernel: z.string().nullable(),
  verdict: VerdictBriefSchema.nullable(),
  /** each author that did not verify: why, and its verdicts */
  failures: z.array(z.object({ author: z.string(), message: z.string(), verdicts: z.array(VerdictBriefSchema) })),
});
export type KernelRecord = z.infer<typeof KernelRecordSchema>;

export function brief(v: Verdict): VerdictBrief {
  return { ok: v.ok, stage: v.stage, code: v.code, message: v.message, maxAbsErr: v.maxAbsErr };
}

export interface DispatchOptions {
  runDir: PipelineRunDir;
  subgraphs: Subgraph[];
  authors: SubgraphAuthor[];
  jobs: number;
  device?: "auto" | "cuda" | "cpu";
  trials?: number;
  signal?: AbortSignal;
}

export async function dispatch(o: DispatchOptions): Promise<KernelRecord[]> {
  return mapConcurrently(o.subgraphs, o.jobs, async (sg) => {
    const file = `kernels/${sg.id}/result.json`;
    const done = o.runDir.readJson(file, KernelRecordSchema);
    if (done?.ok) {
      o.runDir.emit("dispatch", "reused", { author: done.author, kernel: done.kernel }, sg.id);
      return done;
    }
    o.signal?.throwIfAborted();
    o.runDir.emit("dispatch", "started", { problem: sg.problem, ops: sg.ops, count: sg.count }, sg.id);
    const { winner, failures } = await solveWithAuthors(o.authors, {
      problem: sg.problem,
      dir: o.runDir.path(`kernels/${sg.id}`),
      device: o.device,
      trials: o.trials,
      signal: o.signal,
    });
    const record: KernelRecord = {
      id: sg.id,
      ok: winner !== null,
      author: winner?.author ?? null,
      kernel: winner?.kernel ?? null,
      verdict: winner ? brief(winner.verdict) : null,
      failures: failures.map((f) => ({ author: f.author, message: f.message, verdicts: f.verdicts.map(brief) })),
    };
    o.runDir.writeJson(file, record);
    o.runDir.emit(
      "dispatch",
      winner ? "completed" : "failed",
      winner ? { author: winner.author, kernel: winner.kernel } : { failures: record.failures.map((f) => `${f.author}: ${f.message}`) },
      sg.id,
    );
    return record;
  });
}
