import { mkdir, readdir, writeFile, appendFile } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import type { Verdict } from "../harness/verdict.js";
import type { VerifyOptions } from "../harness/verify.js";
import { authorOffline, unsupportedMessage } from "./author.js";
import type { CaptureDocument, CapturedGraph } from "./graph.js";
import type { CaptureOptions } from "./capture.js";
import type { AuthorOptions } from "./builder.js";
import { exactOnlyNote, kernelNames, runReadme, sizesNote } from "./run-readme.js";

/**
 * `tritonize run`: capture -> author -> write model_new.py -> verify. The offline author needs no
 * model; the model-driven author plugs in through `modelAuthor` (the kernel agent provides it).
 */
export type AuthorMode = "offline" | "model" | "auto";

/**
 * The hook the model-driven kernel agent fills: write a ModelNew for this problem and graph. A
 * `verdict` says the code was already verified exactly as returned, with the run's own options; a
 * `problemCode` says the problem itself failed its check.
 */
export type ModelAuthorHook = (req: {
  problem: string;
  graph: CapturedGraph | null;
  runDir: string;
  signal?: AbortSignal;
}) => Promise<{ ok: true; code: string; verdict?: Verdict } | { ok: false; message: string; problemCode?: string | null }>;

/** Loads a problem and runs it once; used to name why a problem that failed to capture failed. */
export type ProblemCheckHook = (req: { problem: string; sets?: Record<string, string>; signal?: AbortSignal }) => Promise<{
  ok: boolean;
  code?: string | null;
  message: string;
}>;

export interface RunOptions {
  problem: string;
  sets?: Record<string, string>;
  device?: "auto" | "cuda" | "cpu";
  trials?: number;
  timeoutMs?: number;
  /** Folder that holds run directories (default .tritonize/runs); a run gets its own sub-folder. */
  outDir?: string;
  author?: AuthorMode;
  signal?: AbortSignal;
}

export interface RunDeps {
  capture: (o: CaptureOptions) => Promise<CaptureDocument>;
  verify: (o: VerifyOptions) => Promise<Verdict>;
  /** null while no model-driven author is wired in */
  modelAuthor: ModelAuthorHook | null;
  /** whether a model provider is configured (an API key or base URL) */
  providerConfigured: boolean;
  /** tells a problem that does not load from one the tracer cannot follow; optional */
  checkProblem?: ProblemCheckHook;
  /** one line per stage as it happens, and the verifier's own progress lines */
  onProgress?: (line: string) => void;
  now?: () => Date;
}

export interface RunResult {
  schema: "tritonize.run/1";
  ok: boolean;
  problem: string;
  runDir: string;
  author: "offline" | "model" | null;
  /** the written module, null when none was written */
  modelNew: string | null;
  /**
   * "verified" | "rejected" | "unsupported" | "capture_failed" | "problem_failed" | "no_model"
   * | "interrupted"
   */
  status: string;
  message: string;
  kernels: number | null;
  steps: string[];
  verdict: Verdict | null;
  // Added fields are optional so that other producers of a RunResult keep compiling.
  /** the failure code (a problem's, a capture's or the verdict's), null when verified */
  code?: string | null;
  /** the --set overrides the run used: model_new.py is verified at these sizes */
  sets?: Record<string, string>;
  /** what the verified sizes mean for using model_new.py, null at the problem's own sizes */
  sizes?: string | null;
  /** the @triton.jit kernels model_new.py defines, whichever author wrote it */
  kernelNames?: string[];
  /** model_new.py's standing: null when none was written, "never verified" when a run stopped first */
  modelNewVerdict?: "verified" | "rejected" | "never verified" | null;
}

type Stage = "capture" | "author" | "verify";

export async function runProblem(opts: RunOptions, deps: RunDeps): Promise<RunResult> {
  const now = deps.now ?? (() => new Date());
  const problem = resolve(opts.problem);
  const runDir = resolve(opts.outDir ?? ".tritonize/runs", runId(problem, now()));
  await mkdir(runDir, { recursive: true });
  const events = join(runDir, "events.jsonl");
  const event = async (stage: string, kind: string, data: Record<string, unknown>) =>
    appendFile(events, JSON.stringify({ time: now().toISOString(), stage, worker: null, round: null, kind, data }) + "\n");
  const progress = (line: string) => deps.onProgress?.(`[run] ${line}\n`);
  const sets = opts.sets ?? {};
  const base = {
    schema: "tritonize.run/1" as const, problem, runDir, kernels: null, steps: [] as string[], verdict: null,
    code: null, sets, sizes: null, kernelNames: [] as string[], modelNewVerdict: null,
  };
  const finish = async (r: RunResult): Promise<RunResult> => {
    await writeFile(join(runDir, "summary.json"), JSON.stringify(r, null, 2) + "\n");
    await writeFile(join(runDir, "README.md"), runReadme(r, await readdir(runDir)));
    const kind = r.status === "interrupted" ? "interrupted" : r.ok ? "completed" : "failed";
    await event("run", kind, { status: r.status, message: r.message });
    return r;
  };
  const state: { stage: Stage; modelNew: string | null; author: "offline" | "model" | null } = { stage: "capture", modelNew: null, author: null };
  try {
    return await runStages(opts, deps, { problem, runDir, sets, event, progress, finish, base, state });
  } catch (err) {
    if (!opts.signal?.aborted) throw err;
    const written = state.modelNew
      ? ` model_new.py was written (${state.modelNew}) but never verified: do not use it as verified.`
      : " No model_new.py was written.";
    return finish({
      ...base, ok: false, author: state.author, modelNew: state.modelNew, status: "interrupted", code: "interrupted",
      modelNewVerdict: state.modelNew ? "never verified" : null,
      message: `interrupted during ${state.stage}.${written}`,
    });
  }
}

interface RunScope {
  problem: string;
  runDir: string;
  sets: Record<string, string>;
  event: (stage: string, kind: string, data: Record<string, unknown>) => Promise<void>;
  progress: (line: string) => void;
  finish: (r: RunResult) => Promise<RunResult>;
  base: Omit<RunResult, "ok" | "author" | "modelNew" | "status" | "message">;
  state: { stage: Stage; modelNew: string | null; author: "offline" | "model" | null };
}

async function runStages(opts: RunOptions, deps: RunDeps, s: RunScope): Promise<RunResult> {
  const { problem, runDir, sets, event, progress, finish, base, state } = s;
  const mode = opts.author ?? "auto";
  const aborted = () => opts.signal?.throwIfAborted();

  progress(`capturing the graph of ${basename(problem)}${setsText(sets)}`);
  await event("capture", "started", { problem, sets });
  const doc = await deps.capture({ problem, sets: opts.sets, signal: opts.signal });
  aborted();
  await writeFile(join(runDir, "graph.json"), JSON.stringify(doc, null, 2) + "\n");
  await event("capture", doc.ok ? "completed" : "failed", doc.ok ? { nodes: doc.nodes.length } : { code: doc.code, message: doc.message });
  if (!doc.ok && deps.checkProblem) {
    // A problem that does not load is the problem's failure, with its own status, whoever authors.
    const check = await deps.checkProblem({ problem, sets: opts.sets, signal: opts.signal });
    aborted();
    if (!check.ok) {
      return finish({ ...base, ok: false, author: null, modelNew: null, status: "problem_failed", code: check.code ?? doc.code, message: check.message });
    }
  }
  if (doc.ok) {
    const empty = doc.inputs.find((i) => i.shape.includes(0));
    if (empty) {
      const message = `input ${empty.index} of the problem has no elements (shape [${empty.shape.join(", ")}]): there is nothing to compute; give sizes of at least 1`;
      return finish({ ...base, ok: false, author: null, modelNew: null, status: "problem_failed", code: "problem_empty_input", message });
    }
  }

  state.stage = "author";
  let authored: {
    author: "offline" | "model"; code: string; kernels: number | null; steps: string[]; verdict?: Verdict; retry?: AuthorOptions | null;
  } | null = null;
  let offlineGap: string | null = null;
  if (doc.ok && mode !== "model") {
    const r = authorOffline(doc);
    await event("author", r.ok ? "completed" : "failed", r.ok ? { author: "offline", kernels: r.kernels, steps: r.steps } : { author: "offline", op: r.op, reason: r.reason });
    progress(r.ok ? `offline author: ${r.kernels} Triton kernel${r.kernels === 1 ? "" : "s"}` : `offline author stopped: ${r.op}`);
    if (r.ok) authored = { author: "offline", code: r.code, kernels: r.kernels, steps: r.steps, retry: r.retry };
    else offlineGap = r.message;
  } else if (!doc.ok && mode === "offline") {
    return finish({ ...base, ok: false, author: null, modelNew: null, status: "capture_failed", code: doc.code, message: doc.message });
  }
  if (!authored) {
    // the model-driven path: asked for, or auto where the offline author stopped
    const why = offlineGap ?? (doc.ok ? "" : `${doc.message}; the offline author needs a captured graph`);
    if (mode === "offline") return finish({ ...base, ok: false, author: null, modelNew: null, status: "unsupported", code: "unsupported", message: why });
    if (!deps.providerConfigured) {
      const message = offlineGap ?? (doc.ok
        ? unsupportedMessage("this problem", "--author model needs a language model", null)
        : `${doc.message}. The model-driven path handles it: set OPENAI_API_KEY or ANTHROPIC_API_KEY (or OPENAI_BASE_URL) and TRITONIZE_MODEL.`);
      return finish({ ...base, ok: false, author: null, modelNew: null, status: offlineGap ? "unsupported" : "no_model", code: "no_model", message });
    }
    if (!deps.modelAuthor) {
      return finish({
        ...base, ok: false, author: null, modelNew: null, status: "no_model", code: "no_model",
        message: `${why ? why + " " : ""}A provider is configured, but this build has no model-driven author wired into \`tritonize run\` yet.`,
      });
    }
    state.author = "model";
    progress("the kernel agent writes and verifies kernels (model-driven)");
    await event("author", "started", { author: "model" });
    const r = await deps.modelAuthor({ problem, graph: doc.ok ? doc : null, runDir, signal: opts.signal });
    aborted();
    if (!r.ok) {
      const status = r.problemCode ? "problem_failed" : "unsupported";
      return finish({ ...base, ok: false, author: "model", modelNew: null, status, code: r.problemCode ?? "not_verified", message: r.message });
    }
    authored = { author: "model", code: r.code, kernels: null, steps: [], verdict: r.verdict };
  }
  state.author = authored.author;

  const modelNew = join(runDir, "model_new.py");
  const verifyCode = async (code: string) => {
    await writeFile(modelNew, code);
    state.stage = "verify";
    state.modelNew = modelNew;
    progress(`verifying model_new.py (${opts.device ?? "auto"}, ${opts.trials ?? 5} trials)`);
    await event("verify", "started", { candidate: modelNew, device: opts.device ?? "auto" });
    const v = await deps.verify({
      problem,
      candidate: modelNew,
      device: opts.device,
      trials: opts.trials,
      sets: opts.sets,
      timeoutMs: opts.timeoutMs,
      signal: opts.signal,
      onStderr: deps.onProgress,
    });
    aborted();
    await recordVerdict(v, "run");
    return v;
  };
  const recordVerdict = async (v: Verdict, by: string) => {
    await writeFile(join(runDir, "verdict.json"), JSON.stringify(v, null, 2) + "\n");
    await event("verify", v.ok ? "completed" : "failed", { stage: v.stage, code: v.code, message: v.message, by });
  };
  let verdict: Verdict;
  if (authored.verdict?.ok) {
    // the agent verified exactly this file with the run's problem, sizes, device and trials
    await writeFile(modelNew, authored.code);
    state.modelNew = modelNew;
    progress("model_new.py is the file the kernel agent verified: not verified a second time");
    verdict = authored.verdict;
    await recordVerdict(verdict, "kernel agent");
  } else {
    verdict = await verifyCode(authored.code);
  }
  // The reference's own precision is a guess in places (an fp32 product's summation order, a
  // convolution's cuDNN algorithm): numbers that miss it are tried once more with the other choice.
  if (!verdict.ok && verdict.stage === "correctness" && authored.author === "offline" && doc.ok && authored.retry) {
    const r = authorOffline(doc, authored.retry);
    if (r.ok) {
      await writeFile(join(runDir, "model_new.first.py"), authored.code);
      await writeFile(join(runDir, "verdict.first.json"), JSON.stringify(verdict, null, 2) + "\n");
      await event("author", "retried", { author: "offline", options: authored.retry, reason: verdict.message });
      progress(`the numbers missed the reference; trying the other precision (${precisionText(authored.retry)})`);
      authored = { author: "offline", code: r.code, kernels: r.kernels, steps: r.steps };
      verdict = await verifyCode(r.code);
    }
  }
  const names = kernelNames(authored.code);
  const result: RunResult = {
    ...base,
    ok: verdict.ok,
    author: authored.author,
    modelNew,
    status: verdict.ok ? "verified" : "rejected",
    message: verdict.ok ? verdict.message : `rejected at ${verdict.stage}: ${verdict.message}`,
    kernels: authored.kernels ?? names.length,
    steps: authored.steps,
    verdict,
    code: verdict.ok ? null : verdict.code,
    sizes: sizesNote(sets, authored.author),
    kernelNames: names,
    modelNewVerdict: verdict.ok ? "verified" : "rejected",
  };
  const exact = exactOnlyNote(result);
  if (exact) progress(`note: ${exact}`);
  return finish(result);
}

function precisionText(o: AuthorOptions): string {
  const parts = [o.fp32Products === "ieee" ? "fp32 products in k order" : "", o.convPrecision ? `convolutions in ${o.convPrecision === "tf32" ? "TF32" : "exact fp32"}` : ""];
  return parts.filter(Boolean).join(", ");
}

function setsText(sets: Record<string, string>): string {
  const list = Object.entries(sets).map(([k, v]) => `${k}=${v}`);
  return list.length ? ` at ${list.join(", ")}` : "";
}

function runId(problem: string, t: Date): string {
  const stamp = t.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  const rand = Math.random().toString(36).slice(2, 6);
  return `${stamp}-${basename(problem).replace(/\.py$/, "").replace(/[^A-Za-z0-9_-]/g, "_")}-${rand}`;
}
