import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { InvalidArgumentError } from "commander";
import { z } from "zod";
import { projectRoot } from "../../harness/paths.js";
import { detectGpus } from "../../suite/detect-gpus.js";
import { parseGpus, placeWorkers } from "../../suite/placement.js";
import { findProblems, SuiteInputError } from "../../suite/problems.js";
import { progressView } from "../../suite/progress.js";
import { noTimingsNote, type SuiteReport } from "../../suite/report.js";
import { readStoredSettings, runSuite, type StoredSettings } from "../../suite/suite.js";
import { EXIT } from "../exit-codes.js";
import { collectSet, parseDevice, parsePositiveInt } from "../options.js";
import type { SetExit } from "./index.js";

/** Settings a resumed suite keeps from its start: giving them again with --resume is refused. */
const KEPT_ON_RESUME = ["author", "device", "trials", "timeout", "benchTrials", "bench", "set", "sizes"];

function parseAuthor(v: string): string {
  if (v === "offline" || v === "model" || v === "auto") return v;
  throw new InvalidArgumentError("use offline, model or auto");
}

function parseGpuOption(v: string): "all" | number[] {
  try {
    return parseGpus(v);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

export function register(program: Command, setExit: SetExit): void {
  program
    .command("suite")
    .description("run many problems (files or folders such as KernelBench/level1), resumable, with report.json and report.html")
    .argument("[paths...]", "problem files or folders of them (optional with --resume)")
    .option("--jobs <n>", "problems at a time (default: one per GPU, or 1 on CPU)", parsePositiveInt)
    .option("--gpus <list>", "all | GPU indices such as 0,1 (default: all GPUs nvidia-smi lists; none: CPU processes)", parseGpuOption)
    .option("--job-memory <GiB>", "GPU memory one job may use: a GPU takes at most memory/this workers", parsePositiveInt, 24)
    .option("--author <mode>", "offline | model | auto, passed to tritonize run", parseAuthor)
    .option("--device <device>", "auto | cuda | cpu (cpu runs Triton's interpreter)", parseDevice, "auto")
    .option("--out <dir>", "the suite's folder: state, run directories, report.json, report.html", ".tritonize/suite")
    .option("--resume", "finish the suite in --out: what finished is kept, what was interrupted runs again")
    .option("--set <name=value>", "override a module constant in every problem (repeatable)", collectSet, {})
    .option("--sizes <file>", 'JSON {"23_Softmax.py": {"batch_size": 8}, …}: --set per problem file name')
    .option("--trials <n>", "verification trials per problem (run's default when left out)", parsePositiveInt)
    .option("--timeout <seconds>", "limit for each problem's run and for its bench, each", parsePositiveInt, 600)
    .option("--bench-trials <n>", "timed iterations per implementation on a GPU", parsePositiveInt, 100)
    .option("--no-bench", "verify only: skip the timings (a sweep for coverage; fast_p needs timings)")
    .option("--json", "print only report.json's document at the end; progress lines go to stderr")
    .addHelpText("after", `
Each problem runs \`tritonize run\` as its own process in its own folder under --out; on a GPU each
verified model_new.py is then timed with \`tritonize bench\` against eager and torch.compile.
report.json and report.html are rewritten as each problem finishes. After a crash or a kill,
\`tritonize suite --resume --out DIR\` finishes the rest and redoes nothing that finished.

Exit status: 0 when every problem has a result (whatever it is), 130 when stopped by a signal,
2 for bad options, 3 for a path that does not exist, 9 when the bundled CLI is missing.`)
    .action(async (paths: string[], o, cmd: Command) => {
      try {
        setExit(await suiteAction(paths, o, cmd));
      } catch (err) {
        if (!(err instanceof SuiteInputError)) throw err;
        process.stderr.write(`tritonize suite: ${err.message}\n`);
        setExit(err.exitCode);
      }
    });
}

interface SuiteFlags {
  jobs?: number;
  gpus?: "all" | number[];
  jobMemory: number;
  author?: string;
  device: "auto" | "cuda" | "cpu";
  out: string;
  resume?: boolean;
  set: Record<string, string>;
  sizes?: string;
  trials?: number;
  timeout: number;
  benchTrials: number;
  bench: boolean;
  json?: boolean;
}

async function suiteAction(paths: string[], o: SuiteFlags, cmd: Command): Promise<number> {
  const out = resolve(o.out);
  const given = KEPT_ON_RESUME.filter((k) => cmd.getOptionValueSource(k) === "cli");
  if (o.resume && given.length) {
    throw new SuiteInputError(`--resume keeps the settings the suite started with; leave out ${given.map(flag).join(", ")}`);
  }
  const stored = o.resume ? readStoredSettings(out) : null;
  const settings: StoredSettings = stored ?? {
    author: o.author ?? null,
    device: o.device,
    trials: o.trials ?? null,
    timeoutS: o.timeout,
    benchTrials: o.benchTrials,
    bench: o.bench,
    sets: o.set,
    sizes: o.sizes ? readSizes(o.sizes) : {},
  };
  const found = paths.length || !o.resume ? findProblems(paths) : { problems: [], skipped: [] };
  for (const f of found.skipped) process.stderr.write(`tritonize suite: skipping ${f}: not a problem file (no Model, get_inputs, get_init_inputs)\n`);
  const cli = [process.execPath, join(projectRoot(), "dist", "tritonize.mjs")];
  if (!existsSync(cli[1]!)) throw new SuiteInputError(`the bundled CLI ${cli[1]} is missing: run 'npm run build' (or 'npm run setup')`, EXIT.environment);

  const devices = settings.device === "cpu" ? [] : await detectGpus();
  if (settings.device === "cpu" && o.gpus) throw new SuiteInputError("--gpus and --device cpu contradict each other: leave one out");
  if (settings.device === "cuda" && devices.length === 0) throw new SuiteInputError("--device cuda, but nvidia-smi lists no GPU on this host", EXIT.needsGpu);
  const gpus = o.gpus ?? (devices.length ? "all" : null);
  const placement = placeWorkers(devices, { gpus, jobs: o.jobs ?? null, jobMemoryMiB: o.jobMemory * 1024 });
  for (const n of placement.notes) process.stderr.write(`tritonize suite: ${n}\n`);

  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  const view = progressView({ write: (t) => process.stderr.write(t), tty: !o.json && Boolean(process.stderr.isTTY), columns: process.stderr.columns });
  try {
    const r = await runSuite(
      { problems: found.problems, out, resume: Boolean(o.resume), settings, slots: placement.slots, gpus: devices, signal: controller.signal },
      { cli, onProgress: view },
    );
    view.done();
    if (o.json) process.stdout.write(JSON.stringify(r.report) + "\n");
    else process.stdout.write(renderSummary(r.report, r.paths) + "\n");
    if (r.aborted) {
      process.stderr.write(`tritonize suite: stopped; 'tritonize suite --resume --out ${out}' finishes it\n`);
      return 130;
    }
    return EXIT.ok;
  } finally {
    process.removeListener("SIGINT", stop);
    process.removeListener("SIGTERM", stop);
  }
}

const flag = (key: string) => "--" + key.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase());

const SizesSchema = z.record(z.string(), z.record(z.string(), z.union([z.string(), z.number()])));

function readSizes(file: string): Record<string, Record<string, string>> {
  if (!existsSync(file)) throw new SuiteInputError(`--sizes file not found: ${file}`, EXIT.problemNotFound);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new SuiteInputError(`--sizes ${file} is not JSON: ${(err as Error).message}`);
  }
  const r = SizesSchema.safeParse(raw);
  if (!r.success) throw new SuiteInputError(`--sizes ${file}: expected {"file.py": {"NAME": value}}; ${r.error.issues[0]?.path.join(".")}: ${r.error.issues[0]?.message}`);
  return Object.fromEntries(Object.entries(r.data).map(([f, sets]) => [f, Object.fromEntries(Object.entries(sets).map(([k, v]) => [k, String(v)]))]));
}

function renderSummary(r: SuiteReport, paths: { json: string; html: string }): string {
  const s = r.summary;
  const counts = Object.entries(s.counts).map(([k, v]) => `${k} ${v}`).join(", ");
  const fp = (b: "eager" | "compiled") => s.fastP.map((f) => `fast_${f.p} ${f[b] === null ? "n/a" : (f[b]! * 100).toFixed(1) + "%"}`).join("  ");
  const gm = (v: number | null) => (v === null ? "n/a" : `${v.toFixed(2)}x`);
  return [
    `suite ${r.complete ? "complete" : "not complete"}: ${s.finished}/${s.total} problems (${counts})`,
    `  vs eager:         ${fp("eager")}  geomean ${gm(s.geomean.eager)}`,
    `  vs torch.compile: ${fp("compiled")}  geomean ${gm(s.geomean.compiled)}`,
    s.timed === 0 ? `  (${noTimingsNote(r)})` : `  ${s.timed} problems timed`,
    `  report: ${paths.html}`,
    `  data:   ${paths.json}`,
  ].join("\n");
}
