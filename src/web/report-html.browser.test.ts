import assert from "node:assert/strict";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import { chromium, type Page } from "playwright-core";
import type { JobResult } from "../suite/entry.js";
import type { JobSnapshot } from "../suite/queue.js";
import { buildReport, writeReport } from "../suite/report.js";
import { tempDir } from "../suite/testing.js";
import { findChromium } from "./find-chromium.js";

/**
 * report.html in a real headless Chromium: the page renders with no external request and no
 * script error, the summary, both plots and the table are there, links reach the files, and
 * clicking a heading sorts. Without a Chromium this fails in CI (CI=true) and skips, loudly, elsewhere.
 */
const browser = findChromium();
const missing = "no Chromium found (set CHROMIUM_PATH, or run 'npm run setup', which installs Debian's chromium with apt-get)";
if (!browser) process.stderr.write(`\n*** report.html browser test: ${missing} ***\n\n`);

const speedups: [string, JobResult["status"], number | null][] = [
  ["level1/1_Matmul", "verified", 1.8],
  ["level1/2_Relu", "verified", 0.7],
  ["level1/10_Gelu", "verified", 3.1],
  ["level1/3_Softmax", "rejected", null],
  ["level1/4_Sort", "unsupported", null],
];

function snapshots(out: string, timed: boolean): JobSnapshot[] {
  return speedups.map(([id, status, s], i) => {
    const dir = join(out, "problems", id.replace("/", "__"), "attempt-1");
    const runDir = join(dir, "run");
    mkdirSync(runDir, { recursive: true });
    const modelNew = status === "rejected" || status === "verified" ? join(runDir, "model_new.py") : null;
    if (modelNew) writeFileSync(modelNew, "# model_new\n");
    writeFileSync(join(dir, "run.log"), "");
    const result: JobResult = {
      status, stage: status === "verified" ? null : status === "rejected" ? "correctness" : "author",
      message: status === "verified" ? "ACCEPTED" : `<b>not</b> ${status}`, runStatus: status, route: null, author: "offline", kernels: i,
      verdict: null, timingNote: null, seconds: { run: 10 - i, bench: null },
      timings: timed && s !== null ? { candidateMs: 1 / s, eagerMs: 1, compiledMs: 0.8, speedupVsEager: s, speedupVsCompiled: s * 0.8, compileError: null } : null,
      // the suite records paths relative to its folder
      paths: { attemptDir: relative(out, dir), runDir: relative(out, runDir), modelNew: modelNew && relative(out, modelNew), verdict: null, events: null, log: relative(out, join(dir, "run.log")) },
    };
    return { job: { id, problem: `/kb/${id}.py`, sets: {} }, state: "finished", attempts: 1, result, worker: { host: "h", slot: 0, gpu: timed ? 0 : null } };
  });
}

function page(timed: boolean): string {
  const out = tempDir("report-html");
  const settings = { author: null, device: "auto", trials: 1, timeoutS: 60, benchTrials: 10, bench: true, slots: [{ slot: 0, gpu: timed ? 0 : null }], gpus: timed ? [{ index: 0, name: "NVIDIA H200", memoryMiB: 143771 }] : [] };
  return writeReport(out, buildReport(out, settings, snapshots(out, timed), new Date())).html;
}

const column = (p: Page, key: string) => p.$$eval(`#problems tbody tr td[data-key="${key}"]`, (tds) => tds.map((td) => td.getAttribute("data-value")));
const ids = (p: Page) => p.$$eval("#problems tbody tr", (trs) => trs.map((tr) => tr.getAttribute("data-id")));

test("report.html renders in headless Chromium: summary, plots, table, links, sorting", { skip: !browser && process.env.CI !== "true" ? missing : false, timeout: 120_000 }, async () => {
  assert.ok(browser, `${missing}; CI must run this test`);
  const b = await chromium.launch({ executablePath: browser, args: ["--no-sandbox", "--disable-gpu"] });
  try {
    const p = await b.newPage();
    const errors: string[] = [];
    const requests: string[] = [];
    p.on("pageerror", (e) => errors.push(e.message));
    p.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    p.on("request", (r) => requests.push(r.url()));
    const file = page(true);
    await p.goto(pathToFileURL(file).href);

    assert.match(await p.title(), /3 of 5 verified/);
    assert.deepEqual(requests, [pathToFileURL(file).href], "the page loads nothing but itself");
    assert.equal(await p.locator("#problems tbody tr").count(), 5);
    assert.equal(await p.locator("#fastp-curve polyline.series").count(), 2);
    assert.ok((await p.locator("#fastp-curve").boundingBox())!.width > 200, "the fast_p curve is drawn at its size");
    assert.ok((await p.locator("#speedup-histogram rect.bar").count()) >= 3);
    // fast_1 vs eager: 1.8x and 3.1x of five problems
    assert.equal((await p.locator("#fastp-table tbody tr").first().locator("td").nth(1).textContent())?.trim(), "40.0%");
    assert.equal(await p.locator("#problems .message", { hasText: "<b>not</b> rejected" }).count(), 1, "messages are escaped, not markup");

    const href = await p.locator('#problems tbody tr[data-id="level1/1_Matmul"] a', { hasText: "model_new.py" }).getAttribute("href");
    assert.ok(existsSync(fileURLToPath(new URL(href!, p.url()))), `model_new.py link ${href} reaches the file`);

    await p.click('#problems th[data-key="eager"]');
    assert.deepEqual(await column(p, "eager"), ["0.7", "1.8", "3.1", "", ""], "ascending, problems without a speed-up last");
    assert.equal(await p.getAttribute('#problems th[data-key="eager"]', "aria-sort"), "ascending");
    await p.click('#problems th[data-key="eager"]');
    assert.deepEqual(await column(p, "eager"), ["3.1", "1.8", "0.7", "", ""]);
    await p.click('#problems th[data-key="id"]');
    assert.deepEqual(await ids(p), ["level1/1_Matmul", "level1/2_Relu", "level1/3_Softmax", "level1/4_Sort", "level1/10_Gelu"], "natural order");
    await p.click('#problems th[data-key="status"]');
    assert.deepEqual(await column(p, "status"), ["rejected", "unsupported", "verified", "verified", "verified"]);

    await p.goto(pathToFileURL(page(false)).href);
    assert.equal(await p.locator("#fastp-curve .note").textContent(), "no timings: the suite ran without a GPU");
    assert.equal(await p.locator("#speedup-histogram rect.bar").count(), 0);
    assert.equal(await p.locator("#problems tbody tr").count(), 5);
    assert.deepEqual(errors, []);
  } finally {
    await b.close();
  }
});
