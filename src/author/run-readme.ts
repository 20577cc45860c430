import type { RunResult } from "./run-offline.js";

/** The names of the @triton.jit kernels a module defines, in order. */
export function kernelNames(code: string): string[] {
  const names: string[] = [];
  const re = /^@triton\.(?:jit|autotune)\b[^\n]*\n(?:@[^\n]*\n|[ \t]+[^\n]*\n|\)[^\n]*\n)*def\s+([A-Za-z_]\w*)/gm;
  for (const m of code.matchAll(re)) if (!names.includes(m[1]!)) names.push(m[1]!);
  return names;
}

/** What sizes given with --set mean for the verified module, or null at the problem's own sizes. */
export function sizesNote(sets: Record<string, string>, author: "offline" | "model"): string | null {
  const list = Object.entries(sets).map(([k, v]) => `${k}=${v}`).join(", ");
  if (!list) return null;
  const why =
    author === "offline"
      ? "the offline author writes its kernels for the captured shapes"
      : "the kernels were only checked at these sizes";
  return `model_new.py was verified at ${list} only (${why}); run again without --set for the problem's own sizes`;
}

/**
 * When an accepted trial matched only the float64 result (eager's own fp32 result was off by more
 * than the tolerance there): KernelBench's evaluation compares with eager alone, so it may refuse
 * the same file.
 */
export function exactOnlyNote(r: RunResult): string | null {
  const trials = r.verdict?.ok ? r.verdict.trials.filter((t) => t.judgedAgainstExact) : [];
  if (!trials.length) return null;
  return (
    `trial${trials.length === 1 ? "" : "s"} ${trials.map((t) => t.index + 1).join(", ")} matched the float64 result within the tolerance but not eager's fp32 result; ` +
    `KernelBench's own evaluation compares with eager alone and may refuse this file`
  );
}

/** README.md of a run directory: what was asked, what came out, the verdict, the sizes, the files. */
export function runReadme(r: RunResult, present: string[]): string {
  const verdict =
    r.status === "verified" ? "VERIFIED" : r.status === "interrupted" ? "INTERRUPTED" : `NOT VERIFIED (${r.status})`;
  const sets = Object.entries(r.sets ?? {}).map(([k, v]) => `\`${k}=${v}\``);
  const lines = [
    `# tritonize run: ${r.problem.split("/").pop()}`,
    ``,
    `- asked: turn \`${r.problem}\` into Triton kernels and a verified \`ModelNew\``,
    `- sizes: ${sets.length ? sets.join(", ") : "the problem's own"}${r.sizes ? ` (${r.sizes})` : ""}`,
    `- author: ${r.author ?? "none"}`,
    `- result: **${verdict}**: ${r.message}`,
  ];
  if (r.verdict) {
    lines.push(`- checked on: ${r.verdict.device}${r.verdict.interpreter ? " (Triton's interpreter)" : ""}, ${r.verdict.trials.length} trials, max abs err ${r.verdict.maxAbsErr ?? "n/a"}`);
    const exact = exactOnlyNote(r);
    if (exact) lines.push(`- note: ${exact}`);
  }
  const kernels = r.kernelNames ?? [];
  if (kernels.length) lines.push(`- kernels (${kernels.length}): ${kernels.map((k) => `\`${k}\``).join(", ")}`);
  lines.push(``, `## Files`, ``);
  const files: [string, string | null][] = [
    ["model_new.py", `the KernelBench \`ModelNew\` (${r.modelNewVerdict ?? "no verdict"})`],
    ["model_new.first.py", "the first candidate, at the other precision, whose numbers missed the reference"],
    ["verdict.first.json", "its verdict"],
    ["verdict.json", "the harness's verdict on model_new.py"],
    ["graph.json", "the captured operator graph (or why capture failed)"],
    ["summary.json", "this run as a document, for scripts"],
    ["events.jsonl", "every stage as it happened"],
    ["agent", "the kernel agent's run: prompts, replies, candidates, verdicts"],
  ];
  for (const [name, what] of files) if (name === "summary.json" || present.includes(name)) lines.push(`- \`${name}\`: ${what}`);
  return lines.join("\n") + "\n";
}
