/** Inline SVG plots for the suite report: no library, no external asset, readable without scripts. */

export const esc = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

const W = 520;
const H = 260;
const M = { left: 48, right: 16, top: 32, bottom: 40 };
const PW = W - M.left - M.right;
const PH = H - M.top - M.bottom;

export interface Series {
  name: string;
  color: string;
  /** speed-ups of the correct problems that were timed against this baseline */
  speedups: number[];
}

/**
 * fast_p as p grows: the share of all `total` problems that are correct and more than p× faster
 * (a falling step curve; p = 0 is the share correct).
 */
export function fastPCurveSvg(series: Series[], total: number, correct: number, note: string | null): string {
  const all = series.flatMap((s) => s.speedups);
  const pMax = Math.min(10, Math.max(2.5, Math.ceil(Math.max(0, ...all) * 2) / 2));
  const x = (p: number) => M.left + (p / pMax) * PW;
  const y = (f: number) => M.top + (1 - f) * PH;
  const lines = series.map((s) => {
    const steps = Array.from({ length: 201 }, (_, i) => (i / 200) * pMax);
    const pts = steps.map((p) => {
      const f = total === 0 ? 0 : p === 0 ? correct / total : s.speedups.filter((v) => v > p).length / total;
      return `${x(p).toFixed(1)},${y(f).toFixed(1)}`;
    });
    return `<polyline class="series" data-series="${esc(s.name)}" fill="none" stroke="${s.color}" stroke-width="2" points="${pts.join(" ")}"/>`;
  });
  const xTicks = ticks(0, pMax, pMax > 5 ? 1 : 0.5).map((p) => tick(x(p), M.top + PH, `${p}`, "x"));
  const yTicks = [0, 0.25, 0.5, 0.75, 1].map((f) => tick(M.left, y(f), `${Math.round(f * 100)}%`, "y"));
  return svg("fastp-curve", "fast_p: share of problems correct and faster than p times the baseline", [
    ...grid(),
    ...xTicks,
    ...yTicks,
    ...markers(x),
    ...lines,
    legend(series),
    label(M.left + PW / 2, H - 6, "p (speed-up threshold)"),
    note ? `<text class="note" x="${M.left + PW / 2}" y="${M.top + PH / 2}" text-anchor="middle">${esc(note)}</text>` : "",
  ]);
}

/** Speed-ups binned on a log2 scale (1/8× … 8×, outliers in the end bins), one colour per baseline. */
export function speedupHistogramSvg(series: Series[], note: string | null): string {
  const lo = -3;
  const hi = 3;
  const width = 0.5;
  const nBins = (hi - lo) / width;
  const bins = series.map((s) => {
    const counts = new Array<number>(nBins).fill(0);
    for (const v of s.speedups) {
      const b = Math.min(nBins - 1, Math.max(0, Math.floor((Math.log2(v) - lo) / width)));
      counts[b]!++;
    }
    return counts;
  });
  const maxCount = Math.max(1, ...bins.flat());
  const bw = PW / nBins;
  const sub = bw / Math.max(1, series.length);
  const bars = bins.flatMap((counts, si) =>
    counts.map((c, b) => {
      if (c === 0) return "";
      const h = (c / maxCount) * PH;
      const from = 2 ** (lo + b * width);
      const title = `${series[si]!.name}: ${c} problem${c === 1 ? "" : "s"} from ${from.toFixed(2)}× to ${(from * 2 ** width).toFixed(2)}×`;
      return `<rect class="bar" data-series="${esc(series[si]!.name)}" x="${(M.left + b * bw + si * sub).toFixed(1)}" y="${(M.top + PH - h).toFixed(1)}" width="${(sub - 1).toFixed(1)}" height="${h.toFixed(1)}" fill="${series[si]!.color}"><title>${esc(title)}</title></rect>`;
    }),
  );
  const xTicks = ticks(lo, hi, 1).map((e) => tick(M.left + ((e - lo) / (hi - lo)) * PW, M.top + PH, `${fmtFactor(2 ** e)}×`, "x"));
  const yTicks = ticks(0, maxCount, Math.max(1, Math.ceil(maxCount / 4))).map((c) => tick(M.left, M.top + PH - (c / maxCount) * PH, `${c}`, "y"));
  const one = M.left + ((0 - lo) / (hi - lo)) * PW;
  return svg("speedup-histogram", "speed-up of each verified problem (log scale)", [
    ...grid(),
    ...xTicks,
    ...yTicks,
    `<line class="marker" x1="${one}" x2="${one}" y1="${M.top}" y2="${M.top + PH}" stroke="#999" stroke-dasharray="4 3"/>`,
    ...bars,
    legend(series),
    label(M.left + PW / 2, H - 6, "speed-up over the baseline"),
    note ? `<text class="note" x="${M.left + PW / 2}" y="${M.top + PH / 2}" text-anchor="middle">${esc(note)}</text>` : "",
  ]);
}

function svg(id: string, title: string, parts: string[]): string {
  return `<svg id="${id}" role="img" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" xmlns="http://www.w3.org/2000/svg"><title>${esc(title)}</title>${parts.join("")}</svg>`;
}

function grid(): string[] {
  return [
    `<rect x="${M.left}" y="${M.top}" width="${PW}" height="${PH}" fill="#fafafa" stroke="#ccc"/>`,
  ];
}

function markers(x: (p: number) => number): string[] {
  return [1, 1.5, 2].map((p) => `<line class="marker" x1="${x(p)}" x2="${x(p)}" y1="${M.top}" y2="${M.top + PH}" stroke="#ddd" stroke-dasharray="4 3"/>`);
}

function ticks(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let v = from; v <= to + 1e-9; v += step) out.push(Math.round(v * 100) / 100);
  return out;
}

function tick(x: number, y: number, text: string, axis: "x" | "y"): string {
  return axis === "x"
    ? `<text class="tick" x="${x.toFixed(1)}" y="${(y + 16).toFixed(1)}" text-anchor="middle">${esc(text)}</text>`
    : `<text class="tick" x="${(x - 6).toFixed(1)}" y="${(y + 4).toFixed(1)}" text-anchor="end">${esc(text)}</text>`;
}

function label(x: number, y: number, text: string): string {
  return `<text class="axis-label" x="${x}" y="${y}" text-anchor="middle">${esc(text)}</text>`;
}

function legend(series: Series[]): string {
  return series
    .map((s, i) => {
      const y = 16;
      const x = M.left + i * 170;
      return `<g class="legend"><rect x="${x}" y="${y - 9}" width="10" height="10" fill="${s.color}"/><text x="${x + 16}" y="${y}">${esc(s.name)} (${s.speedups.length})</text></g>`;
    })
    .join("");
}

function fmtFactor(v: number): string {
  return v >= 1 ? String(v) : `1/${Math.round(1 / v)}`;
}
