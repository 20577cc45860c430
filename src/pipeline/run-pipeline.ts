import { readFileSync, copyFileSync, existsSync, writeFileSync } from "node:fs";
import { kernelNames } from "../author/run-readme.js";
import { pipelineReadme } from "./readme.js";
import { basename, resolve } from "node:path";
import { randomBytes } from "node:crypto";
import { z } from "zod";
import type { CaptureDocument } from "../author/graph.js";
import type { CaptureOptions } from "../author/capture.js";
import type { AuthorMode, RunOptions, RunResult } from "../author/run-offline.js";
import { PipelineRunDir, type PipelineListener } from "./events.js";
import { runPipelineRoute, type PipelineRouteDeps, type PipelineRouteResult } from "./pipeline-route.js";
import { decideRoute, RouteCache, RouteDecisionSchema, routeKey, staticFeatures, type Route, type RouteDecision } from "./router.js";

/**
 * `tritonize run`: route -> (direct: capture, one kernel file, verify) or (pipeline: fuse, extract,
 * dispatch, compose, verify, format). When the chosen route fails the other is tried unless
 * `noFallback`. Everything lands in one run directory; `resume` continues one.
 */

export interface PipelineOptions {
  problem: string;
  sets?: Record<string, string>;
  device?: "auto" | "cuda" | "cpu";
  trials?: number;
  timeoutMs?: number;
  /** folder holding run directories (default .tritonize/runs) */
  outDir?: string;
  /** continue this run directory: finished stages and verified kernels are reused */
  resume?: string;
  route?: Route;
  noFallback?: boolean;
  jobs?: number;
  outputFormat?: "kernelbench" | "composed";
  /** replies the model fuser / composer may give before the stage fails */
  fuserAttempts?: number;
  composerAttempts?: number;
  author?: AuthorMode;
  signal?: AbortSignal;
}

export interface PipelineDeps extends PipelineRouteDeps {
  capture: (o: CaptureOptions) => Promise<CaptureDocument>;
  /** the direct route: today's `runProblem` with its dependencies bound */
  direct: (o: RunOptions) => Promise<RunResult>;
  routeCache: RouteCache | null;
  now?: () => Date;
  onEvent?: PipelineListener;
}

const RunSettingsSchema = z.object({
  problem: z.string(),
  sets: z.record(z.string(), z.string()),
  trials: z.number().int().optional(),
  device: z.enum(["auto", "cuda", "cpu"]).optional(),
});

export interface RouteAttempt {
  route: Route;
  ok: boolean;
  status: string;
  message: string;
}

export interface PipelineResult {
  schema: "tritonize.pipeline/1";
  ok: boolean;
  problem: string;
  runDir: string;
  /** the route whose model_new.py was verified, else the last one tried */
  route: Route | null;
  decision: RouteDecision | null;
  attempts: RouteAttempt[];
  modelNew: string | null;
  status: string;
  message: string;
  /** the --set values the run used: its model_new.py was verified at these sizes only */
  sets: Record<string, string>;
  /** the @triton.jit kernels model_new.py defines */
  kernelNames: string[];
  modelNewVerdict: "verified" | "rejected" | "never verified" | null;
  /** who wrote the verified kernels: "offline", "model", or "offline+model" across subgraphs */
  author: string | null;
  /** Triton kernels in the deliverable (the direct route's count, or one per unique subgraph) */
  kernels: number | null;
  /** the direct route's verdict document, or the pipeline's end-to-end verdict in brief */
  verdict: RunResult["verdict"] | PipelineRouteResult["verdict"];
  pipeline: PipelineRouteResult | null;
  direct: RunResult | null;
}

export async function runPipeline(opts: PipelineOptions, deps: PipelineDeps): Promise<PipelineResult> {
  const now = deps.now ?? (() => new Date());
  const runDirPath = opts.resume ? resolve(opts.resume) : resolve(opts.outDir ?? ".tritonize/runs", runId(opts.problem, now()));
  if (opts.resume && !existsSync(resolve(opts.resume, "run.json"))) {
    throw new Error(`${opts.resume} is not a run directory of tritonize run (it has no run.json); pass the folder a run printed`);
  }
  const rd = new PipelineRunDir(runDirPath, now);
  if (deps.onEvent) rd.subscribe(deps.onEvent);
  const saved = rd.readJson("run.json", RunSettingsSchema);
  const settings = saved ?? { problem: resolve(opts.problem), sets: opts.sets ?? {}, trials: opts.trials, device: opts.device };
  if (!saved) rd.writeJson("run.json", settings);
  const o = { ...opts, problem: settings.problem, sets: settings.sets, trials: settings.trials ?? opts.trials, device: settings.device ?? opts.device };
  rd.emit("run", opts.resume ? "reused" : "started", { problem: o.problem, sets: o.sets, runDir: rd.dir });

  const decision = await route(rd, o, deps);
  const order: Route[] = opts.noFallback ? [decision.route] : [decision.route, decision.route === "direct" ? "pipeline" : "direct"];
  const attempts: RouteAttempt[] = [];
  let pipeline: PipelineRouteResult | null = null;
  let direct: RunResult | null = null;
  for (const r of order) {
    if (attempts.length && r === "pipeline" && !pipelineCanDiffer(decision)) {
      // a straight line that captured whole is one region: the pipeline would meet the same operators
      rd.emit("route", "skipped", { fallback: r, message: "the pipeline would cut this straight-line forward into one region with the same operators" });
      break;
    }
    if (attempts.length) rd.emit("route", "progress", { fallback: r, because: attempts.at(-1)!.message });
    if (r === "pipeline") {
      pipeline = await runPipelineRoute(rd, o, deps);
      attempts.push({ route: r, ok: pipeline.ok, status: pipeline.status, message: pipeline.message });
    } else {
      direct = await runDirect(rd, o, deps);
      attempts.push({ route: r, ok: direct.ok, status: direct.status, message: direct.message });
    }
    if (attempts.at(-1)!.ok || opts.signal?.aborted) break; // Ctrl-C: no fallback, the run ends here
  }
  const last = attempts.at(-1)!;
  if (last.ok && last.route !== decision.route && deps.routeCache && decision.source !== "forced") {
    deps.routeCache.put({ ...decision, route: last.route, reasons: [...decision.reasons, `the ${decision.route} route failed before: ${attempts[0]!.message}`] });
  }
  const modelNew = last.ok ? rd.path("model_new.py") : null;
  const result: PipelineResult = {
    schema: "tritonize.pipeline/1",
    ok: last.ok,
    problem: o.problem,
    runDir: rd.dir,
    route: last.route,
    decision,
    attempts,
    modelNew,
    status: last.ok ? "verified" : opts.signal?.aborted ? "interrupted" : last.status,
    message: last.ok ? last.message : failureMessage(attempts),
    sets: o.sets,
    kernelNames: modelNew && existsSync(modelNew) ? kernelNames(readFileSync(modelNew, "utf8")) : [],
    modelNewVerdict: last.route === "direct" ? direct?.modelNewVerdict ?? null : last.ok ? "verified" : null,
    ...deliverable(last.route, pipeline, direct),
    pipeline,
    direct,
  };
  rd.writeJson("summary.json", result);
  writeFileSync(rd.path("README.md"), pipelineReadme(result));
  rd.emit("run", result.ok ? "completed" : result.status === "interrupted" ? "interrupted" : "failed", { route: result.route, status: result.status, message: result.message });
  return result;
}

/**
 * Every route's reason, joined; a route that found the problem itself broken (its Model raised,
 * its inputs are empty) goes first: that is the user's fix, whatever the other route hit.
 */
function failureMessage(attempts: RouteAttempt[]): string {
  const own = attempts.filter((a) => a.status === "problem_failed");
  return [...own, ...attempts.filter((a) => !own.includes(a))].map((a) => `${a.route}: ${a.message}`).join(" | ");
}

/** Author, kernel count and verdict of the route that produced the result, for readers of `run --json`. */
function deliverable(r: Route, pipeline: PipelineRouteResult | null, direct: RunResult | null): Pick<PipelineResult, "author" | "kernels" | "verdict"> {
  if (r === "direct" || !pipeline) return { author: direct?.author ?? null, kernels: direct?.kernels ?? null, verdict: direct?.verdict ?? null };
  const authors = [...new Set(pipeline.kernels.filter((k) => k.ok).map((k) => k.author))].sort();
  return { author: authors.length ? authors.join("+") : null, kernels: pipeline.kernels.length, verdict: pipeline.verdict };
}

function pipelineCanDiffer(d: RouteDecision): boolean {
  const f = d.features;
  return !f.captured || f.controlFlow.length > 0 || f.initHelpers.length > 0;
}

async function route(rd: PipelineRunDir, o: PipelineOptions & { problem: string; sets: Record<string, string> }, deps: PipelineDeps): Promise<RouteDecision> {
  const done = rd.readJson("route.json", RouteDecisionSchema);
  if (done && (!o.route || o.route === done.route)) {
    rd.emit("route", "reused", { route: done.route });
    return done;
  }
  const source = readFileSync(o.problem, "utf8");
  const key = routeKey(source, o.sets);
  rd.emit("capture", "started", {});
  const graph = await deps.capture({ problem: o.problem, sets: o.sets, signal: o.signal });
  rd.writeJson("graph.json", graph);
  rd.emit("capture", graph.ok ? "completed" : "failed", graph.ok ? { nodes: graph.nodes.length } : { code: graph.code, message: graph.message });
  const features = staticFeatures(source, graph);
  const cached = o.route ? null : deps.routeCache?.get(key) ?? null;
  const decision: RouteDecision = o.route
    ? { schema: "tritonize.route/1", route: o.route, source: "forced", reasons: [`--route ${o.route}`], features, key }
    : cached
      ? { ...cached, source: "cached" }
      : { schema: "tritonize.route/1", source: "decided", features, key, ...decideRoute(features) };
  rd.writeJson("route.json", decision);
  if (decision.source === "decided") deps.routeCache?.put(decision);
  rd.emit("route", "completed", { route: decision.route, source: decision.source, reasons: decision.reasons });
  return decision;
}

const DirectRecordSchema = z.object({ ok: z.boolean(), status: z.string(), message: z.string(), modelNew: z.string().nullable() }).passthrough();

async function runDirect(rd: PipelineRunDir, o: PipelineOptions & { problem: string }, deps: PipelineDeps): Promise<RunResult> {
  const done = rd.readJson("direct.json", DirectRecordSchema);
  if (done?.ok && done.modelNew) {
    rd.emit("direct", "reused", { modelNew: done.modelNew });
    return done as unknown as RunResult;
  }
  rd.emit("direct", "started", {});
  const r = await deps.direct({ problem: o.problem, sets: o.sets, device: o.device, trials: o.trials, timeoutMs: o.timeoutMs, outDir: rd.path("direct"), author: o.author, signal: o.signal });
  rd.writeJson("direct.json", r);
  if (r.ok && r.modelNew) copyFileSync(r.modelNew, rd.path("model_new.py"));
  rd.emit("direct", r.ok ? "completed" : "failed", { status: r.status, message: r.message, runDir: r.runDir });
  return r;
}

function runId(problem: string, t: Date): string {
  const stamp = t.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return `${stamp}-${basename(problem).replace(/\.py$/, "").replace(/[^A-Za-z0-9_-]/g, "_")}-${randomBytes(2).toString("hex")}`;
}
