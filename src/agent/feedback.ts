import type { Verdict } from "../harness/verdict.js";

/**
 * Words a verdict for the model that wrote the candidate: the stage, the harness's message, the
 * line of the candidate it points at, and the facts the stage is about (errors and where they
 * are, the compute ops the wrapper dispatched, launches). Worded in one place; tests pin it.
 */

const STAGE_HINT: Record<string, string> = {
  load: "The file could not be imported or does not define what is required.",
  static: "The file uses a construct the harness rejects before running it.",
  compile: "Triton could not compile a kernel.",
  runtime: "The code raised an error while running.",
  timeout: "The verification did not finish within its time limit.",
  integrity: "The harness saw the wrapper doing something a candidate may not do.",
  correctness: "The outputs do not match the reference.",
};

function fmt(x: number | null | undefined): string {
  if (x === null || x === undefined) return "n/a";
  if (x === 0) return "0";
  return Math.abs(x) >= 1e-3 && Math.abs(x) < 1e4 ? String(Number(x.toPrecision(4))) : Number(x.toPrecision(3)).toExponential();
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : "…" + text.slice(text.length - max);
}

/** The candidate's line `n` (1-based), trimmed, or null when out of range. */
function lineOf(candidate: string, n: number | null): string | null {
  if (n === null || n < 1) return null;
  const l = candidate.split("\n")[n - 1];
  return l === undefined ? null : l.trim();
}

function correctnessFacts(v: Verdict): string[] {
  const out: string[] = [];
  const failed = v.trials.filter((t) => !t.ok);
  if (v.trials.length > 0) out.push(`Trials passed: ${v.trials.length - failed.length} of ${v.trials.length}.`);
  const worst = failed.reduce<(typeof failed)[number] | null>(
    (w, t) => (w === null || (t.maxAbsErr ?? -1) > (w.maxAbsErr ?? -1) ? t : w),
    null,
  );
  const tol = v.tolerance ? ` (allowed: atol ${fmt(v.tolerance.atol)}, rtol ${fmt(v.tolerance.rtol)})` : "";
  if (worst) {
    const where = worst.worstIndex ? ` at index [${worst.worstIndex.join(", ")}]` : "";
    const output = worst.worstOutput !== null ? `output ${worst.worstOutput}` : "the output";
    out.push(
      `Worst trial: ${worst.index} (seed ${worst.seed}): ${output}${where} is off by ${fmt(worst.maxAbsErr)} absolute, ${fmt(worst.maxRelErr)} relative${tol}.`,
    );
    if (worst.message) out.push(`Trial ${worst.index}: ${worst.message}`);
  } else if (v.maxAbsErr !== null) {
    const where = v.worstIndex ? ` at index [${v.worstIndex.join(", ")}]` : "";
    out.push(`Max error ${fmt(v.maxAbsErr)} absolute, ${fmt(v.maxRelErr)} relative${where}${tol}.`);
  }
  if (v.degenerate) {
    out.push(
      "The reference output is near-constant (its largest magnitude is within the absolute tolerance), so errors are judged relative to its own scale: an output of zeros does not pass.",
    );
  }
  return out;
}

function integrityFacts(v: Verdict): string[] {
  const out: string[] = [];
  const banned = v.atenOps.filter((o) => !o.allowed);
  if (banned.length > 0) {
    out.push(
      `Compute ops the wrapper dispatched (not allowed outside kernels): ${banned.map((o) => `${o.op} ×${o.count}`).join(", ")}. Move that arithmetic into a @triton.jit kernel.`,
    );
  }
  if (v.launches === 0) out.push("No Triton kernel was launched during forward; at least one launch per call is required.");
  return out;
}

/** How far a verification got before its limit: honest but slow work reads differently from a hang. */
function timeoutFacts(v: Verdict): string {
  const passed = v.trials.filter((t) => t.ok).length;
  const seconds = (v.durationMs / 1000).toFixed(1);
  const each = v.trials.filter((t) => t.ok && typeof t.seconds === "number").map((t) => `${t.seconds!.toFixed(1)} s`);
  const timing = each.length === passed && passed > 0
    ? `taking ${each.join(", ")}; ${seconds} s in all, loading included`
    : `${(v.durationMs / 1000 / Math.max(1, passed)).toFixed(1)} s per trial on average, loading included, ${seconds} s in all`;
  const progress =
    passed > 0
      ? `${passed} trial${passed === 1 ? "" : "s"} had passed (${timing}) when it was stopped: the kernels work but are too slow here.`
      : `No trial had finished after ${seconds} s.`;
  const where = v.interpreter
    ? " On Triton's CPU interpreter every program of the grid runs in turn in Python, so time grows with the number of programs and their work: launch fewer, larger programs."
    : "";
  const hang = passed === 0 ? " If a loop's bound depends on values that never change, it never ends." : "";
  return progress + where + hang;
}

export function renderFeedback(v: Verdict, candidate: string): string {
  if (v.ok) return "The harness accepted this candidate.";
  const parts: string[] = [];
  parts.push(`**Failed at stage: ${v.stage}${v.code ? ` (${v.code})` : ""}.** ${STAGE_HINT[v.stage] ?? ""}`.trim());
  parts.push(v.message);
  const src = lineOf(candidate, v.line);
  if (v.line !== null) parts.push(src ? `Line ${v.line} of your file: \`${src}\`` : `Reported at line ${v.line} of your file.`);
  if (v.stage === "correctness" || v.trials.some((t) => !t.ok && t.maxAbsErr !== null)) parts.push(...correctnessFacts(v));
  if (v.stage === "integrity" || v.atenOps.some((o) => !o.allowed)) parts.push(...integrityFacts(v));
  if (v.stage === "timeout") parts.push(timeoutFacts(v));
  const details = Object.keys(v.details).length > 0 ? JSON.stringify(v.details) : null;
  if (details && v.stage !== "correctness") parts.push(`Details: ${clip(details, 600)}`);
  if (v.traceback) parts.push("Error output (last lines):\n```\n" + clip(v.traceback.trim(), 2500) + "\n```");
  return parts.join("\n\n");
}

/** One line for the bounded history of a worker. */
export function summarizeVerdict(v: Verdict): string {
  if (v.ok) return "passed";
  const head = `${v.stage}${v.code ? ` (${v.code})` : ""}`;
  const at = v.line !== null ? ` at line ${v.line}` : "";
  if (v.stage === "correctness" && v.maxAbsErr !== null) {
    const where = v.worstIndex ? ` at [${v.worstIndex.join(", ")}]` : "";
    return `${head}: max abs error ${fmt(v.maxAbsErr)}${where}`;
  }
  const banned = v.atenOps.filter((o) => !o.allowed).map((o) => o.op);
  if (v.stage === "integrity" && banned.length > 0) return `${head}: wrapper dispatched ${banned.join(", ")}`;
  const msg = v.message.split("\n")[0]!.slice(0, 160);
  return `${head}${at}: ${msg}`;
}
