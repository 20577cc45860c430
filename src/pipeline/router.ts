import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import type { CaptureDocument } from "../author/graph.js";

/**
 * The router: static features of the problem's source, and whether its graph captured, decide
 * between the direct route (one kernel file for the whole problem) and the pipeline (regions cut
 * at control flow, one kernel per unique subgraph, composed back).
 */

export const RouteSchema = z.enum(["direct", "pipeline"]);
export type Route = z.infer<typeof RouteSchema>;

export const FeaturesSchema = z.object({
  /** control-flow statements in Model.forward: if, for, while, break/continue, return count */
  controlFlow: z.array(z.string()),
  /** submodule containers looped over or repeated (nn.ModuleList, nn.Sequential) */
  repeatedModules: z.boolean(),
  attention: z.boolean(),
  transposedConv: z.boolean(),
  /** operators in the captured graph (null when capture failed) */
  chainLength: z.number().int().nullable(),
  captured: z.boolean(),
  /** names Model.__init__ reads from the problem module that are not constants (helper classes) */
  initHelpers: z.array(z.string()),
});
export type Features = z.infer<typeof FeaturesSchema>;

export const RouteDecisionSchema = z.object({
  schema: z.literal("tritonize.route/1"),
  route: RouteSchema,
  /** forced by --route, read from the cache, or decided now */
  source: z.enum(["forced", "cached", "decided"]),
  reasons: z.array(z.string()),
  features: FeaturesSchema,
  /** sha256 of the problem's source and the constant overrides */
  key: z.string(),
});
export type RouteDecision = z.infer<typeof RouteDecisionSchema>;

/** The body of `def forward` inside `class Model`, by indentation. */
export function forwardSource(source: string): string {
  const lines = source.split("\n");
  const cls = lines.findIndex((l) => /^class\s+Model\b/.test(l));
  if (cls < 0) return "";
  const start = lines.findIndex((l, i) => i > cls && /^\s+def\s+forward\s*\(/.test(l));
  if (start < 0) return "";
  const pad = (lines[start]!.match(/^\s*/) ?? [""])[0].length;
  const body: string[] = [];
  for (let i = start + 1; i < lines.length; i++) {
    const l = lines[i]!;
    if (l.trim() && (l.match(/^\s*/) ?? [""])[0].length <= pad) break;
    body.push(l);
  }
  return body.join("\n");
}

export function staticFeatures(source: string, capture: CaptureDocument | null): Features {
  const fwd = forwardSource(source);
  const controlFlow: string[] = [];
  for (const [kw, re] of [["if", /^\s*(if|elif)\b/m], ["for", /^\s*for\b/m], ["while", /^\s*while\b/m], ["break/continue", /^\s*(break|continue)\b/m]] as const) {
    if (re.test(fwd)) controlFlow.push(kw);
  }
  const returns = (fwd.match(/^\s*return\b/gm) ?? []).length;
  if (returns > 1) controlFlow.push(`${returns} returns`);
  return {
    controlFlow,
    repeatedModules: /nn\.ModuleList|nn\.Sequential/.test(source) && /for\s+\w+\s+in\s+self\./.test(fwd),
    attention: /scaled_dot_product_attention|MultiheadAttention|\bsoftmax\b[\s\S]*\b(matmul|bmm)\b|\b(matmul|bmm)\b[\s\S]*\bsoftmax\b/.test(fwd),
    transposedConv: /ConvTranspose|conv_transpose/.test(source),
    chainLength: capture?.ok ? capture.nodes.filter((n) => !n.view).length : null,
    captured: capture?.ok ?? false,
    initHelpers: capture?.ok ? capture.init.unresolved : [],
  };
}

/** The decision: control flow or a failed capture takes the pipeline, a straight line the direct route. */
export function decideRoute(f: Features): { route: Route; reasons: string[] } {
  const reasons: string[] = [];
  if (f.controlFlow.length) reasons.push(`forward has control flow (${f.controlFlow.join(", ")}): kept as Python, regions between it become kernels`);
  if (f.repeatedModules) reasons.push("forward loops over repeated submodules: identical blocks share one kernel");
  if (!f.captured) reasons.push("the whole graph does not capture: regions are captured one at a time");
  if (f.initHelpers.length) reasons.push(`Model.__init__ builds classes of the problem's own (${f.initHelpers.join(", ")}): the pipeline keeps the problem's source whole`);
  if (reasons.length) return { route: "pipeline", reasons };
  reasons.push(`straight-line forward that captures whole (${f.chainLength} operators): one kernel file for the whole problem`);
  if (f.attention) reasons.push("attention pattern: its softmax and products fuse within the direct route's kernels");
  if (f.transposedConv) reasons.push("a transposed convolution: written whole by the author that covers it");
  return { route: "direct", reasons };
}

export function routeKey(source: string, sets: Record<string, string>): string {
  return createHash("sha256").update(source).update(JSON.stringify(Object.entries(sets).sort())).digest("hex");
}

/** Decisions by content hash, one file each, so a problem seen before routes the same way. */
export class RouteCache {
  constructor(private readonly dir: string) {}

  get(key: string): RouteDecision | null {
    const p = join(this.dir, `${key}.json`);
    if (!existsSync(p)) return null;
    const r = RouteDecisionSchema.safeParse(JSON.parse(readFileSync(p, "utf8")));
    return r.success ? r.data : null;
  }

  put(d: RouteDecision): void {
    mkdirSync(this.dir, { recursive: true });
    writeFileSync(join(this.dir, `${d.key}.json`), JSON.stringify(d, null, 2) + "\n");
  }
}
