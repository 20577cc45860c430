import type { RunEvent } from "../runs/events.js";

/**
 * What a person sees while the kernel agent runs, built from the run's events alone. On a
 * terminal: a small table (one line per worker: round, state, last failure) redrawn in place,
 * with notable events printed above it. Elsewhere: one plain line per notable event.
 */

export interface ViewOptions {
  write: (text: string) => void;
  /** live redraw (a terminal) or plain log lines */
  live: boolean;
  now?: () => number;
}

export interface KernelView {
  onEvent(event: RunEvent): void;
  /** Draws the final state and stops redrawing. */
  close(): void;
}

interface WorkerRow {
  round: number;
  state: string;
  chars: number;
  last: string | null;
}

function clock(iso: string): string {
  return iso.slice(11, 19);
}

function short(text: string, max = 100): string {
  const one = text.replace(/\s+/g, " ").trim();
  return one.length <= max ? one : one.slice(0, max - 1) + "…";
}

function kTokens(n: number): string {
  return n < 1000 ? String(n) : `${(n / 1000).toFixed(1)}k`;
}

/** The line a notable event prints; null for events only the live table shows. */
export function logLine(e: RunEvent): string | null {
  const who = e.worker !== null ? `w${e.worker}${e.round !== null ? ` r${e.round}` : ""} ` : e.stage === "reference" && e.round !== null ? `reference ${e.round} ` : "";
  const at = `[${clock(e.time)}] ${who}`;
  switch (e.kind) {
    case "run-started":
      return `[${clock(e.time)}] run ${e.data.runId}: ${e.data.problem ?? "from a description"}; ${e.data.workers} workers × ${e.data.rounds} rounds; ${e.data.provider}/${e.data.model}; device ${e.data.device}; records in ${e.data.runDir}`;
    case "reference-ready":
      return `${at}reference problem written and checked: ${e.data.path} (${short(e.data.summary, 120)})`;
    case "reference-rejected":
      return `${at}reference rejected: ${short(e.data.reason)}`;
    case "worker-started":
      return `${at}started (temperature ${e.data.temperature ?? "n/a"})`;
    case "model-reply":
      return `${at}reply: ${e.data.chars} chars, ${e.data.finishReason}, ${e.data.usage.outputTokens} tokens out, ${(e.data.latencyMs / 1000).toFixed(1)} s`;
    case "model-warning":
      return `${at}model warning (${e.data.type} ${e.data.feature}): ${short(e.data.detail)}`;
    case "model-retry":
      return `${at}model call failed, retry ${e.data.attempt} in ${(e.data.delayMs / 1000).toFixed(1)} s: ${short(e.data.message)}`;
    case "model-error":
      return `${at}MODEL ERROR: ${e.data.message}`;
    case "candidate-rejected":
      return `${at}not verified (${e.data.reason})${e.data.line !== null ? ` line ${e.data.line}` : ""}: ${short(e.data.message.replace(/\*\*/g, ""))}`;
    case "verify-started":
      return `${at}verifying`;
    case "verdict":
      return e.data.ok
        ? `${at}VERIFIED (${(e.data.durationMs / 1000).toFixed(1)} s)`
        : `${at}${e.data.stage}${e.data.code ? ` (${e.data.code})` : ""}: ${short(e.data.message)}`;
    case "verify-error":
      return `${at}VERIFIER ERROR: ${e.data.message}`;
    case "worker-finished":
      return `${at}finished: ${e.data.outcome}${e.data.message ? ` (${short(e.data.message)})` : ""}`;
    case "budget-exhausted":
      return `${at}budget exhausted: ${e.data.budget} (${e.data.detail})`;
    case "run-finished":
      return `[${clock(e.time)}] ${e.data.status} in ${(e.data.elapsedMs / 1000).toFixed(1)} s, ${kTokens(e.data.usage.inputTokens + e.data.usage.outputTokens)} tokens: ${e.data.message}`;
    case "round-started":
    case "model-request":
    case "model-progress":
    case "candidate":
      return null;
  }
}

export function createKernelView(options: ViewOptions): KernelView {
  const now = options.now ?? Date.now;
  if (!options.live) {
    return {
      onEvent(e) {
        const line = logLine(e);
        if (line) options.write(line + "\n");
      },
      close() {},
    };
  }

  const rows = new Map<number, WorkerRow>();
  let header = "";
  let rounds = 0;
  let started = now();
  let tokens = 0;
  let drawn = 0;
  let timer: NodeJS.Timeout | null = null;
  let closed = false;

  const table = (): string[] => {
    const secs = Math.floor((now() - started) / 1000);
    const lines = [`${header}  ${String(Math.floor(secs / 60)).padStart(2, "0")}:${String(secs % 60).padStart(2, "0")}  tokens ${kTokens(tokens)}`];
    for (const [w, r] of [...rows.entries()].sort((a, b) => a[0] - b[0])) {
      const state = r.state === "writing" && r.chars > 0 ? `writing (${kTokens(r.chars)} chars)` : r.state;
      lines.push(`  w${w}  round ${r.round}/${rounds}  ${state.padEnd(22)}  last failure: ${r.last ?? "-"}`);
    }
    return lines;
  };
  const erase = () => {
    if (drawn > 0) options.write(`\x1b[${drawn}F\x1b[J`);
    drawn = 0;
  };
  const draw = () => {
    const lines = table();
    options.write(lines.join("\n") + "\n");
    drawn = lines.length;
  };
  const redraw = () => {
    timer = null;
    if (closed) return;
    erase();
    draw();
  };
  const schedule = () => {
    if (!timer && !closed) timer = setTimeout(redraw, 100);
  };
  const row = (w: number): WorkerRow => {
    let r = rows.get(w);
    if (!r) rows.set(w, (r = { round: 0, state: "starting", chars: 0, last: null }));
    return r;
  };

  return {
    onEvent(e) {
      if (e.kind === "run-started") {
        header = `tritonize kernel · ${e.data.problem ?? "description"} · ${e.data.provider}/${e.data.model}`;
        rounds = e.data.rounds;
        started = Date.parse(e.time) || now();
      }
      if (e.kind === "model-reply" || e.kind === "run-finished") {
        tokens = e.kind === "run-finished" ? e.data.usage.inputTokens + e.data.usage.outputTokens : tokens + e.data.usage.inputTokens + e.data.usage.outputTokens;
      }
      if (e.worker !== null) {
        const r = row(e.worker);
        if (e.round !== null) r.round = e.round;
        switch (e.kind) {
          case "model-request":
            r.state = "writing";
            r.chars = 0;
            break;
          case "model-progress":
            r.chars = e.data.chars;
            break;
          case "model-reply":
            r.state = "checking";
            break;
          case "candidate-rejected":
            r.state = "rejected";
            r.last = e.data.reason;
            break;
          case "verify-started":
            r.state = "verifying";
            break;
          case "verdict":
            r.state = e.data.ok ? "VERIFIED" : "failed";
            if (!e.data.ok) r.last = `${e.data.stage}${e.data.code ? ` (${e.data.code})` : ""}`;
            break;
          case "worker-finished":
            r.state = e.data.outcome;
            break;
          default:
            break;
        }
      }
      // Notable events that explain a failure or a result scroll above the table.
      const important =
        e.kind === "model-error" ||
        e.kind === "verify-error" ||
        e.kind === "model-warning" ||
        e.kind === "model-retry" ||
        e.kind === "budget-exhausted" ||
        e.kind === "reference-ready" ||
        e.kind === "reference-rejected" ||
        e.kind === "run-started" ||
        (e.kind === "verdict" && e.data.ok);
      if (important && !closed) {
        erase();
        options.write(logLine(e)! + "\n");
        draw();
      } else {
        schedule();
      }
      if (e.kind === "run-finished") {
        this.close();
        options.write(logLine(e)! + "\n");
      }
    },
    close() {
      if (closed) return;
      if (timer) clearTimeout(timer);
      timer = null;
      erase();
      draw();
      closed = true;
    },
  };
}
