import { readdirSync } from "node:fs";
import type { PipelineResult } from "./run-pipeline.js";

/** What each file of a run directory holds, for the README a person opens first. */
const FILES: [string, string][] = [
  ["route.json", "the route taken (direct or pipeline) and why"],
  ["fused.py", "the problem rewritten into fused submodules, control flow kept"],
  ["fuser", "the model fuser's attempts: prompt, reply, its fused.py and why it was or was not accepted"],
  ["subgraphs.json", "one typed entry per unique subgraph, with its count and where it is used"],
  ["kernels", "one folder per subgraph: its problem, kernel, verdicts"],
  ["composed.py", "the fused structure calling the verified kernels"],
  ["composer", "the model composer's attempts: prompt, reply, its composed.py and verdicts"],
  ["mapping.json", "each kernel argument's source in the original model"],
  ["direct", "the direct route's run: graph, kernel file, verdict"],
  ["summary.json", "this run as a document, for scripts"],
  ["events.jsonl", "every stage as it happened"],
];

/** README.md of a `tritonize run` directory: what was asked, the route, the verdict, the sizes, the files. */
export function pipelineReadme(r: PipelineResult): string {
  const verdict = r.ok ? "VERIFIED" : r.status === "interrupted" ? "INTERRUPTED" : `NOT VERIFIED (${r.status})`;
  const sets = Object.entries(r.sets).map(([k, v]) => `\`${k}=${v}\``);
  const present = readdirSync(r.runDir);
  const lines = [
    `# tritonize run: ${r.problem.split("/").pop()}`,
    ``,
    `- asked: turn \`${r.problem}\` into Triton kernels and a verified \`ModelNew\``,
    `- sizes: ${sets.length ? `${sets.join(", ")} (model_new.py was verified at these sizes only)` : "the problem's own"}`,
    `- route: ${r.route ?? "none"}${r.decision ? ` (${r.decision.reasons[0] ?? r.decision.source})` : ""}`,
    `- author: ${r.author ?? "none"}`,
    `- result: **${verdict}**: ${r.message}`,
  ];
  if (r.kernelNames.length) lines.push(`- kernels (${r.kernelNames.length}): ${r.kernelNames.map((k) => `\`${k}\``).join(", ")}`);
  lines.push(``, `## Files`, ``);
  if (present.includes("model_new.py")) lines.push(`- \`model_new.py\`: the KernelBench \`ModelNew\` (${r.modelNewVerdict ?? "no verdict"})`);
  for (const [name, what] of FILES) if (present.includes(name)) lines.push(`- \`${name}\`: ${what}`);
  return lines.join("\n") + "\n";
}
