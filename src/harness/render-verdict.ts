import type { Verdict } from "./verdict.js";

const fmt = (x: number | null) => (x === null ? "-" : x === 0 ? "0" : x.toExponential(2));

/** A verdict as a person reads it in a terminal: the decision first, then the evidence. */
export function renderVerdict(v: Verdict): string {
  const lines: string[] = [];
  lines.push(v.ok ? v.message : `REJECTED at ${v.stage}: ${v.message}`);
  if (v.line !== null) lines.push(`  at candidate line ${v.line}`);
  if (v.traceback) lines.push(...v.traceback.split("\n").map((l) => `  | ${l}`));
  for (const t of v.trials) {
    const state = t.ok ? "ok" : (t.code ?? "failed");
    lines.push(
      `  trial ${t.index} (seed ${t.seed}, ${t.calls} call${t.calls > 1 ? "s" : ""}): ${state}` +
        `  max abs err ${fmt(t.maxAbsErr)}  max rel err ${fmt(t.maxRelErr)}  launches ${t.launches}`,
    );
  }
  const forbidden = v.atenOps.filter((o) => !o.allowed).map((o) => o.op);
  if (forbidden.length) lines.push(`  compute ops seen in the wrapper: ${forbidden.join(", ")}`);
  if (v.degenerate) lines.push("  the reference output is near-constant: judged on its own scale (see docs/verification.md)");
  if (v.tolerance) lines.push(`  tolerance atol=${v.tolerance.atol} rtol=${v.tolerance.rtol}`);
  lines.push(
    `  device ${v.device}${v.interpreter ? " (Triton interpreter)" : ""}, ${v.launches} Triton launches over all trials, ${(v.durationMs / 1000).toFixed(1)} s`,
  );
  return lines.join("\n");
}
