import { runHarness } from "../harness/run-harness.js";
import { setArgs } from "../harness/verify.js";
import { parseWith, RegionsDocumentSchema, type RegionsDocument } from "./plan.js";
import { z } from "zod";

/** The two harness commands the deterministic pipeline runs: cutting forward, and composing. */

export interface RegionsOptions {
  problem: string;
  outDir: string;
  /** a fused module written elsewhere (the model fuser's rewrite): adopted instead of cutting forward */
  fused?: string;
  sets?: Record<string, string>;
  trials?: number;
  device?: "auto" | "cuda" | "cpu";
  timeoutMs?: number;
  signal?: AbortSignal;
}

export type RegionsFn = (o: RegionsOptions) => Promise<RegionsDocument>;
export type ComposeFn = (o: ComposeOptions) => Promise<ComposeResult>;

function failureText(kind: string, stderr: string): string {
  const tail = stderr.trim().split("\n").slice(-3).join(" | ");
  return `the harness ${kind}${tail ? `: ${tail}` : ""}`;
}

export const cutRegions: RegionsFn = async (o) => {
  const outcome = await runHarness({
    args: ["regions", "--problem", o.problem, "--out", o.outDir, "--trials", String(o.trials ?? 5), "--device", o.device ?? "auto", ...(o.fused ? ["--fused", o.fused] : []), ...setArgs(o.sets)],
    timeoutMs: o.timeoutMs ?? 300_000,
    signal: o.signal,
  });
  if (outcome.kind === "document") return parseWith(RegionsDocumentSchema, outcome.document, `the regions document for ${o.problem}`);
  return {
    schema: "tritonize.regions/1",
    ok: false,
    problem: o.problem,
    code: outcome.kind === "timeout" ? "regions_timeout" : "regions_crashed",
    construct: null,
    line: null,
    message: failureText(outcome.kind === "timeout" ? "did not finish cutting regions in time" : "ended without a regions document", outcome.stderr),
  };
};

export interface ComposeOptions {
  plan: string;
  kernels: string;
  out: string;
  sets?: Record<string, string>;
  signal?: AbortSignal;
}

const ComposeResultSchema = z.object({ schema: z.literal("tritonize.composed/1"), ok: z.boolean(), message: z.string(), path: z.string().nullable() });
export type ComposeResult = z.infer<typeof ComposeResultSchema>;

export const composeKernels: ComposeFn = async (o) => {
  const outcome = await runHarness({
    args: ["compose", "--plan", o.plan, "--kernels", o.kernels, "--out", o.out, ...setArgs(o.sets)],
    timeoutMs: 120_000,
    signal: o.signal,
  });
  if (outcome.kind === "document") return parseWith(ComposeResultSchema, outcome.document, "the compose document");
  return { schema: "tritonize.composed/1", ok: false, message: failureText("ended without composing", outcome.stderr), path: null };
};
