import type { JobResult } from "./entry.js";
import type { SuiteProgress } from "./suite.js";

export interface ProgressView {
  (p: SuiteProgress): void;
  /** clears the live bar so a final message starts on a clean line */
  done(): void;
}

export interface ProgressViewOptions {
  write: (text: string) => void;
  /** a terminal: one bar redrawn in place; otherwise one plain line per finished problem */
  tty: boolean;
  columns?: number;
  clock?: () => number;
}

/** The suite's progress on stderr: counts, the running problems and an ETA from this session's pace. */
export function progressView(o: ProgressViewOptions): ProgressView {
  const clock = o.clock ?? Date.now;
  let total = 0;
  let finished = 0;
  let finishedHere = 0;
  let started = clock();
  const counts: Record<string, number> = {};
  const running = new Set<string>();
  let drawn = false;

  const bar = () => {
    const width = 24;
    const filled = total ? Math.round((finished / total) * width) : 0;
    const tally = Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(", ");
    const text = `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${finished}/${total}  ${tally || "nothing finished yet"}  running ${running.size}  ${eta()}`;
    o.write(`\r${text.slice(0, (o.columns ?? 120) - 1)}\x1b[K`);
    drawn = true;
  };
  const eta = () => {
    const left = total - finished;
    if (left === 0) return "done";
    if (finishedHere === 0) return "ETA …";
    return `ETA ${duration(((clock() - started) / finishedHere) * left)}`;
  };
  const line = (text: string) => {
    if (o.tty && drawn) o.write("\r\x1b[K");
    o.write(text + "\n");
    if (o.tty) bar();
  };

  const view = ((p: SuiteProgress) => {
    switch (p.kind) {
      case "started":
        total = p.total;
        finished = p.finished;
        started = clock();
        line(`tritonize suite: ${p.total} problems${p.resumed ? `, resumed with ${p.finished} already finished` : ""}${p.reaped.length ? `; ended ${p.reaped.length} process(es) left by the killed suite` : ""}`);
        break;
      case "job-started":
        running.add(p.id);
        if (o.tty) bar();
        break;
      case "job-finished":
        running.delete(p.id);
        finished++;
        finishedHere++;
        counts[p.result.status] = (counts[p.result.status] ?? 0) + 1;
        line(`[${finished}/${total}] ${p.id}: ${describe(p.result)}`);
        break;
    }
  }) as ProgressView;
  view.done = () => {
    if (o.tty && drawn) o.write("\r\x1b[K");
  };
  return view;
}

function describe(r: JobResult): string {
  const secs = r.seconds.run + (r.seconds.warm ?? 0) + (r.seconds.bench ?? 0);
  const speed = r.timings ? `, ${r.timings.speedupVsEager.toFixed(2)}× eager` + (r.timings.speedupVsCompiled !== null ? `, ${r.timings.speedupVsCompiled.toFixed(2)}× compile` : "") : "";
  const where = r.stage ? ` at ${r.stage}` : "";
  const why = r.status === "verified" ? "" : `: ${r.message.slice(0, 160)}`;
  return `${r.status}${where} in ${secs.toFixed(1)} s${speed}${why}`;
}

export function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}
