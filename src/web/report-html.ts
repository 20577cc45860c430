import { sep } from "node:path";
import { noTimingsNote, type ReportEntry, type SuiteReport } from "../suite/report.js";
import { esc, fastPCurveSvg, speedupHistogramSvg, type Series } from "./svg.js";
import { SORT_SCRIPT, STYLE } from "./report-assets.js";

/**
 * report.html: one self-contained page (inline CSS, SVG and script; no external asset) that reads
 * without scripts; the script only sorts the table. Links are relative to the suite folder, so the
 * folder can be copied or served as it is.
 */
export function renderReportHtml(report: SuiteReport): string {
  const s = report.summary;
  const title = `tritonize suite: ${s.counts.verified ?? 0} of ${s.total} verified`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title><style>${STYLE}</style></head>
<body>
<h1>${esc(title)}</h1>
<p class="meta">${esc(progressLine(report))} · updated ${esc(report.updatedAt)} · ${esc(deviceLine(report))}</p>
${summary(report)}
${plots(report)}
<h2>Problems</h2>
<p class="hint">Click a column heading to sort.</p>
${table(report)}
<script>${SORT_SCRIPT}</script>
</body></html>
`;
}

function progressLine(r: SuiteReport): string {
  const s = r.summary;
  return r.complete ? `complete: ${s.total} problems` : `in progress: ${s.finished} of ${s.total} finished`;
}

function deviceLine(r: SuiteReport): string {
  const gpus = r.settings.gpus.filter((g) => r.settings.slots.some((sl) => sl.gpu === g.index));
  const where = gpus.length ? `${gpus.length} GPU${gpus.length === 1 ? "" : "s"} (${[...new Set(gpus.map((g) => g.name))].join(", ")})` : `CPU (device ${r.settings.device})`;
  return `${r.settings.slots.length} worker${r.settings.slots.length === 1 ? "" : "s"} on ${where}`;
}

const pct = (v: number | null | undefined) => (v === null || v === undefined ? "n/a" : `${(v * 100).toFixed(1)}%`);
const factor = (v: number | null | undefined) => (v === null || v === undefined ? "n/a" : `${v.toFixed(2)}×`);

function summary(r: SuiteReport): string {
  const s = r.summary;
  const counts = Object.entries(s.counts)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `<li class="status-${esc(k)}"><b>${v}</b> ${esc(k)}</li>`)
    .join("");
  const stages = Object.entries(s.stages)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `<li><b>${v}</b> at ${esc(k)}</li>`)
    .join("");
  const row = (name: string, b: "eager" | "compiled") =>
    `<tr><th>${name}</th>${s.fastP.map((f) => `<td>${pct(f[b])}</td>`).join("")}<td>${factor(s.geomean[b])}</td></tr>`;
  return `<section id="summary"><h2>Summary</h2>
<ul class="counts">${counts}</ul>
${stages ? `<p>Not verified, by where they stopped:</p><ul class="stages">${stages}</ul>` : ""}
<table class="fastp" id="fastp-table"><thead><tr><th>baseline</th>${s.fastP.map((f) => `<th>fast_${f.p}</th>`).join("")}<th>geomean speed-up</th></tr></thead>
<tbody>${row("PyTorch eager", "eager")}${row("torch.compile", "compiled")}</tbody></table>
<p class="hint">fast_p: the share of all ${s.total} problems that are verified and more than p× faster than the baseline (fast_0: the share verified). Geomean over the ${s.timed} timed problems.${s.timed === 0 ? " Nothing was timed: timings need a GPU." : ""}</p>
</section>`;
}

function series(r: SuiteReport): Series[] {
  const verified = r.problems.filter((p) => p.status === "verified" && p.timings);
  return [
    { name: "vs eager", color: "#2b6cb0", speedups: verified.map((p) => p.timings!.speedupVsEager) },
    { name: "vs torch.compile", color: "#dd6b20", speedups: verified.flatMap((p) => (p.timings!.speedupVsCompiled === null ? [] : [p.timings!.speedupVsCompiled])) },
  ];
}

function plots(r: SuiteReport): string {
  const sr = series(r);
  const note = noTimingsNote(r);
  const correct = r.summary.counts.verified ?? 0;
  return `<section id="plots"><h2>Speed</h2><div class="plots">
<figure>${fastPCurveSvg(sr, r.summary.total, correct, note)}<figcaption>fast_p curve</figcaption></figure>
<figure>${speedupHistogramSvg(sr, note)}<figcaption>speed-up histogram</figcaption></figure>
</div></section>`;
}

interface Column {
  key: string;
  label: string;
  type: "number" | "text";
  /** the sort value and the cell's HTML */
  cell: (e: ReportEntry, i: number) => [string | number | null, string];
}

const COLUMNS: Column[] = [
  { key: "index", label: "#", type: "number", cell: (_, i) => [i + 1, String(i + 1)] },
  { key: "id", label: "problem", type: "text", cell: (e) => [e.id, `<span title="${esc(e.problem)}">${esc(e.id)}</span>`] },
  { key: "status", label: "status", type: "text", cell: (e) => [e.status, `<span class="badge status-${esc(e.status)}">${esc(e.status)}</span>`] },
  { key: "stage", label: "stopped at", type: "text", cell: (e) => [e.stage, esc(e.stage ?? "")] },
  { key: "author", label: "author", type: "text", cell: (e) => [e.author, esc([e.author, e.route].filter(Boolean).join(" / "))] },
  { key: "kernels", label: "kernels", type: "number", cell: (e) => [e.kernels, e.kernels === null ? "" : String(e.kernels)] },
  { key: "eager", label: "vs eager", type: "number", cell: (e) => num(e.timings?.speedupVsEager, factor) },
  { key: "compiled", label: "vs compile", type: "number", cell: (e) => num(e.timings?.speedupVsCompiled, factor) },
  { key: "ms", label: "Triton ms", type: "number", cell: (e) => num(e.timings?.candidateMs, (v) => v.toFixed(4)) },
  { key: "seconds", label: "run s", type: "number", cell: (e) => num(e.seconds ? e.seconds.run + (e.seconds.warm ?? 0) + (e.seconds.bench ?? 0) : null, (v) => v.toFixed(1)) },
  { key: "message", label: "message", type: "text", cell: (e) => { const m = e.timingNote ? `${e.message} (${e.timingNote})` : e.message; return [m, `<span class="message" title="${esc(m)}">${esc(m)}</span>`]; } },
];

function num(v: number | null | undefined, fmt: (v: number) => string): [number | null, string] {
  return v === null || v === undefined ? [null, ""] : [v, fmt(v)];
}

function table(r: SuiteReport): string {
  const head = [...COLUMNS.map((c) => `<th data-key="${c.key}" data-type="${c.type}" tabindex="0" aria-sort="none">${esc(c.label)}</th>`), "<th>files</th>"].join("");
  const rows = r.problems.map((e, i) => {
    const cells = COLUMNS.map((c) => {
      const [value, html] = c.cell(e, i);
      return `<td data-key="${c.key}" data-value="${value === null ? "" : esc(String(value))}">${html}</td>`;
    });
    return `<tr data-id="${esc(e.id)}">${cells.join("")}<td class="files">${links(e)}</td></tr>`;
  });
  return `<table id="problems"><thead><tr>${head}</tr></thead><tbody>${rows.join("\n")}</tbody></table>`;
}

function links(e: ReportEntry): string {
  const p = e.paths;
  if (!p) return "";
  const items: [string, string | null][] = [
    ["model_new.py", p.modelNew],
    ["verdict", p.verdict],
    ["events", p.events],
    ["log", p.log],
  ];
  return items
    .filter((x): x is [string, string] => x[1] !== null)
    .map(([name, path]) => `<a href="${esc(href(path))}">${esc(name)}</a>`)
    .join(" ");
}

/** paths are relative to the suite folder, which is where the page is */
function href(path: string): string {
  return path.split(sep).map(encodeURIComponent).join("/");
}
