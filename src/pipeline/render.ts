import type { PipelineEvent } from "./events.js";
import type { PipelineResult } from "./run-pipeline.js";

/** One plain line per pipeline event (stderr), for a terminal or a log alike. */
export function eventLine(e: PipelineEvent): string | null {
  if (e.kind === "progress" && e.stage !== "route") return null;
  const who = e.subgraph ? ` ${e.subgraph}` : "";
  const d = e.data;
  const detail =
    typeof d.message === "string" ? d.message.split("\n")[0] :
    typeof d.route === "string" ? `${d.route}${typeof d.source === "string" ? ` (${d.source})` : ""}` :
    typeof d.attempt === "number" ? `model, attempt ${d.attempt}${typeof d.of === "number" ? ` of ${d.of}` : ""}` :
    typeof d.author === "string" ? `by ${d.author}` :
    typeof d.fallback === "string" ? `falling back to ${d.fallback}` :
    Array.isArray(d.subgraphs) ? `${d.subgraphs.length} unique subgraph(s): ${(d.subgraphs as { id: string; count: number }[]).map((s) => `${s.id}×${s.count}`).join(", ")}` :
    "";
  return `[${e.stage}]${who} ${e.kind}${detail ? `: ${detail}` : ""}`;
}

export function renderPipeline(r: PipelineResult): string {
  const lines: string[] = [];
  lines.push(r.ok ? `VERIFIED  ${r.message.replace(/^ACCEPTED:\s*/, "")}` : `NOT VERIFIED  ${r.message}`);
  if (r.decision) lines.push(`  route: ${r.route}${r.route !== r.decision.route ? ` (fallback from ${r.decision.route})` : ""}; ${r.decision.reasons[0] ?? ""}`);
  const p = r.pipeline;
  if (p) {
    for (const k of p.kernels) {
      const sg = p.subgraphs.find((s) => s.id === k.id);
      lines.push(`    ${k.id} ×${sg?.count ?? "?"} ${k.ok ? `verified (${k.author})` : "NOT verified"}: ${sg?.ops.join(" -> ") ?? ""}`);
      if (!k.ok) for (const f of k.failures) lines.push(`      ${f.author}: ${f.message.split("\n")[0]}`);
    }
    for (const b of p.branches) lines.push(`    branch line ${b.line} ${b.side}: ${b.status}`);
  }
  if (r.direct?.steps.length && r.route === "direct") for (const s of r.direct.steps) lines.push(`    ${s}`);
  if (r.modelNew) lines.push(`  model_new.py: ${r.modelNew}`);
  lines.push(`  run directory: ${r.runDir}`);
  return lines.join("\n");
}
