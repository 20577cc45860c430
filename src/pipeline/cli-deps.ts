import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { CaptureOptions } from "../author/capture.js";
import { parseCaptureDocument, type CaptureDocument } from "../author/graph.js";
import { captureGraph } from "../author/capture.js";
import type { RunOptions, RunResult } from "../author/run-offline.js";
import { checkProblem } from "../harness/check-problem.js";
import { verifyCandidate } from "../harness/verify.js";
import type { TritonizeConfig } from "../config/config.js";
import type { LanguageModel } from "../llm/types.js";
import { createModel } from "../config/create-model.js";
import { agentSubgraphAuthor, offlineSubgraphAuthor, type SubgraphAuthor } from "./author.js";
import type { PipelineListener } from "./events.js";
import { composeKernels, cutRegions } from "./harness-calls.js";
import type { PipelineDeps, PipelineOptions } from "./run-pipeline.js";
import { RouteCache } from "./router.js";

/** The production dependencies of `tritonize run`: real harness calls, the configured authors. */
export function pipelineDeps(o: {
  /** a configured provider for the kernel agent, or null for the offline author alone */
  config: TritonizeConfig | null;
  direct: (r: RunOptions) => Promise<RunResult>;
  outDir: string;
  /** how graphs are captured (default: a capture per call); `tritonize run` shares one with its direct route */
  capture?: (o: CaptureOptions) => Promise<CaptureDocument>;
  onEvent?: PipelineListener;
}): PipelineDeps {
  const capture = o.capture ?? captureGraph;
  const authors: SubgraphAuthor[] = [offlineSubgraphAuthor({ capture: capturedBeside(capture), verify: verifyCandidate })];
  let fuser: LanguageModel | null = null;
  let composer: LanguageModel | null = null;
  if (o.config) {
    const config = o.config;
    const record = join(resolve(o.outDir), "agent-requests");
    fuser = createModel(config, "fuser", { record });
    composer = createModel(config, "composer", { record });
    authors.push(
      agentSubgraphAuthor({
        model: createModel(config, "kernel", { record }),
        verify: verifyCandidate,
        checkProblem,
        workers: config.workers,
        rounds: config.rounds,
      }),
    );
  }
  return {
    mapper: o.config ? createModel(o.config, "mapper", { record: join(resolve(o.outDir), "mapper-requests") }) : null,
    capture,
    verify: verifyCandidate,
    regions: cutRegions,
    compose: composeKernels,
    authors,
    fuser,
    composer,
    direct: o.direct,
    // decisions are kept beside the run directories, keyed by the problem's content
    routeCache: new RouteCache(join(dirname(resolve(o.outDir)), "route-cache")),
    onEvent: o.onEvent,
  };
}

/** The graph the regions harness captured beside a subgraph problem (`sgN.graph.json`), else a fresh capture. */
export function capturedBeside(capture: (o: CaptureOptions) => Promise<CaptureDocument>): (o: CaptureOptions) => Promise<CaptureDocument> {
  return async (o) => {
    const beside = o.problem.replace(/\.py$/, ".graph.json");
    if (!o.sets && existsSync(beside)) return parseCaptureDocument(JSON.parse(readFileSync(beside, "utf8")), beside);
    return capture(o);
  };
}

/** --route, --no-fallback, --resume, --jobs, --output-format and the model stages' attempts, checked; a string names what is wrong. */
export function parseRouteOptions(o: Record<string, unknown>): Pick<PipelineOptions, "route" | "noFallback" | "resume" | "jobs" | "outputFormat" | "fuserAttempts" | "composerAttempts"> | string {
  const route = o.route;
  if (route !== undefined && route !== "direct" && route !== "pipeline") return `--route must be direct or pipeline, not ${String(route)}`;
  const fmt = o.outputFormat;
  if (fmt !== "kernelbench" && fmt !== "composed") return `--output-format must be kernelbench or composed, not ${String(fmt)}`;
  return {
    route: route as PipelineOptions["route"],
    noFallback: o.fallback === false,
    resume: typeof o.resume === "string" ? o.resume : undefined,
    jobs: typeof o.jobs === "number" ? o.jobs : 2,
    outputFormat: fmt,
    fuserAttempts: typeof o.fuserAttempts === "number" ? o.fuserAttempts : 3,
    composerAttempts: typeof o.composerAttempts === "number" ? o.composerAttempts : 3,
  };
}
