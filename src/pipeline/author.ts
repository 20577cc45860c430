import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { runKernelAgent } from "../agent/agent.js";
import { runProblem, type RunDeps } from "../author/run-offline.js";
import type { CheckProblemFn } from "../agent/deps.js";
import type { VerifyOptions } from "../harness/verify.js";
import { parseVerdict, type Verdict } from "../harness/verdict.js";
import type { LanguageModel } from "../llm/types.js";

/**
 * One author interface, two implementations: given a functional subgraph problem (KernelBench
 * format, weights as inputs), return a kernel file verified against it. The offline author is the
 * direct route run on the subgraph (capture, templates, verify); the kernel agent writes, verifies
 * and refines with a model. The dispatcher uses the first that succeeds.
 */

export interface AuthorRequest {
  problem: string;
  /** a folder of the author's own for its files */
  dir: string;
  device?: "auto" | "cuda" | "cpu";
  trials?: number;
  signal?: AbortSignal;
}

export type AuthorOutcome =
  | { ok: true; author: string; kernel: string; verdict: Verdict }
  /** `verdicts`: the verdicts that explain the failure (empty when nothing reached the verifier) */
  | { ok: false; author: string; message: string; verdicts: Verdict[] };

export interface SubgraphAuthor {
  readonly name: string;
  solve(req: AuthorRequest): Promise<AuthorOutcome>;
}

/** The offline author: `runProblem` (the direct route) with the offline templates only. */
export function offlineSubgraphAuthor(deps: Pick<RunDeps, "capture" | "verify">): SubgraphAuthor {
  return {
    name: "offline",
    async solve(req) {
      const r = await runProblem(
        { problem: req.problem, outDir: req.dir, author: "offline", device: req.device, trials: req.trials, signal: req.signal },
        { capture: deps.capture, verify: deps.verify, modelAuthor: null, providerConfigured: false },
      );
      if (r.ok && r.modelNew && r.verdict) return { ok: true, author: "offline", kernel: r.modelNew, verdict: r.verdict };
      return { ok: false, author: "offline", message: r.message, verdicts: r.verdict ? [r.verdict] : [] };
    },
  };
}

export interface AgentAuthorDeps {
  model: LanguageModel;
  verify: (o: VerifyOptions) => Promise<Verdict>;
  checkProblem?: CheckProblemFn;
  workers?: number;
  rounds?: number;
  wallTimeMs?: number | null;
  /** syntax check override (tests) */
  checkSyntax?: Parameters<typeof runKernelAgent>[0]["checkSyntax"];
}

/** The kernel agent: workers write and refine ModelNew for the subgraph problem with a model. */
export function agentSubgraphAuthor(deps: AgentAuthorDeps): SubgraphAuthor {
  return {
    name: "agent",
    async solve(req) {
      const result = await runKernelAgent({
        problem: req.problem,
        model: deps.model,
        verify: deps.verify,
        checkProblem: deps.checkProblem,
        checkSyntax: deps.checkSyntax,
        workers: deps.workers ?? 2,
        rounds: deps.rounds ?? 4,
        wallTimeMs: deps.wallTimeMs,
        device: req.device,
        trials: req.trials,
        out: req.dir,
        runId: "agent",
        form: "module",
        signal: req.signal,
      });
      const verdicts = await readVerdicts([result.bestAttempt?.verdictPath ?? null]);
      if (result.status !== "verified" || !result.winner) {
        return { ok: false, author: "agent", message: `the kernel agent did not verify a kernel: ${result.message}`, verdicts };
      }
      const verdict = parseVerdict(JSON.parse(await readFile(result.winner.verdictPath, "utf8")), result.winner.verdictPath);
      return { ok: true, author: "agent", kernel: result.winner.kernelPath, verdict };
    },
  };
}

async function readVerdicts(paths: (string | null)[]): Promise<Verdict[]> {
  const out: Verdict[] = [];
  for (const p of paths) {
    if (!p) continue;
    try {
      out.push(parseVerdict(JSON.parse(await readFile(p, "utf8")), p));
    } catch {
      // an attempt whose verdict file is unreadable is still listed in the agent's own result
    }
  }
  return out;
}

/** Tries each author in order; the first verified kernel wins, every failure is kept. */
export async function solveWithAuthors(authors: SubgraphAuthor[], req: AuthorRequest): Promise<{ winner: AuthorOutcome & { ok: true } | null; failures: (AuthorOutcome & { ok: false })[] }> {
  const failures: (AuthorOutcome & { ok: false })[] = [];
  for (const a of authors) {
    const r = await a.solve({ ...req, dir: join(req.dir, a.name) });
    if (r.ok) return { winner: r, failures };
    failures.push(r);
  }
  return { winner: null, failures };
}
