import type { EntryTimings, JobResult } from "./entry.js";

/** KernelBench's thresholds: fast_p is the share of all problems that are correct and more than p× faster. */
export const FAST_P = [0, 1, 1.5, 2] as const;
export type Baseline = "eager" | "compiled";

export interface SuiteMetrics {
  total: number;
  finished: number;
  /** by status; unfinished problems count as pending */
  counts: Record<string, number>;
  /** where the problems that were not verified stopped */
  stages: Record<string, number>;
  /** verified problems with timings */
  timed: number;
  /** fast_p at each p against each baseline; null for p > 0 when nothing was timed */
  fastP: { p: number; eager: number | null; compiled: number | null }[];
  /** geometric mean speed-up over the timed correct problems; null when none */
  geomean: Record<Baseline, number | null>;
}

export function speedup(t: EntryTimings | null, baseline: Baseline): number | null {
  if (!t) return null;
  return baseline === "eager" ? t.speedupVsEager : t.speedupVsCompiled;
}

/**
 * fast_p over `total` problems (KernelBench's denominator: every problem, run or not). For p = 0
 * it is the share verified; above 0 only timed problems can count.
 */
export function fastP(results: (JobResult | null)[], total: number, baseline: Baseline, p: number): number | null {
  if (total === 0) return null;
  const correct = results.filter((r): r is JobResult => r?.status === "verified");
  if (p === 0) return correct.length / total;
  if (!correct.some((r) => r.timings)) return null;
  return correct.filter((r) => (speedup(r.timings, baseline) ?? 0) > p).length / total;
}

export function geomean(values: number[]): number | null {
  const v = values.filter((x) => x > 0 && Number.isFinite(x));
  if (v.length === 0) return null;
  return Math.exp(v.reduce((s, x) => s + Math.log(x), 0) / v.length);
}

export function suiteMetrics(results: (JobResult | null)[]): SuiteMetrics {
  const total = results.length;
  const counts: Record<string, number> = {};
  const stages: Record<string, number> = {};
  for (const r of results) {
    const status = r?.status ?? "pending";
    counts[status] = (counts[status] ?? 0) + 1;
    if (r && r.status !== "verified" && r.stage) stages[r.stage] = (stages[r.stage] ?? 0) + 1;
  }
  const timed = results.filter((r) => r?.status === "verified" && r.timings);
  const speedups = (b: Baseline) => timed.map((r) => speedup(r!.timings, b)).filter((x): x is number => x !== null);
  return {
    total,
    finished: results.filter(Boolean).length,
    counts,
    stages,
    timed: timed.length,
    fastP: FAST_P.map((p) => ({ p, eager: fastP(results, total, "eager", p), compiled: fastP(results, total, "compiled", p) })),
    geomean: { eager: geomean(speedups("eager")), compiled: geomean(speedups("compiled")) },
  };
}
