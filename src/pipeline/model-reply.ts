import { z } from "zod";
import { extractCode, fencedBlocks } from "../agent/extract-code.js";
import { methodOf } from "./format.js";

/**
 * What the model-driven fuser and composer accept from a reply before the harness runs anything:
 * the blocks found, the fuser's manifest against its schema and against the file, and the parts of
 * the file the convention keeps verbatim (`__init__`, and for the composer `forward`). Each refusal
 * is a sentence the model is re-asked with.
 */

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

export const FuserManifestSchema = z
  .object({
    regions: z
      .array(
        z
          .object({
            method: z.string().regex(/^_tz_[rc]\d+$/, "a region method is named _tz_rN or _tz_cN"),
            kind: z.enum(["block", "cond", "return"]),
            /** the first and last line of the problem's source the method replaces */
            lines: z.tuple([z.number().int().positive(), z.number().int().positive()]),
          })
          .strict(),
      )
      .min(1, "list at least one region method"),
    /** the constructs kept as Python in forward */
    kept: z.array(z.string()),
  })
  .strict();
export type FuserManifest = z.infer<typeof FuserManifestSchema>;

function schemaError(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
}

function pythonBlock(reply: string): Parsed<string> {
  const code = extractCode(reply);
  return code.ok ? { ok: true, value: code.code } : { ok: false, reason: `no code: ${code.message}` };
}

/** The fuser's reply: a ```json manifest and a ```python file that agree with each other. */
export function parseFuserReply(reply: string, problemSource: string): Parsed<{ manifest: FuserManifest; code: string }> {
  const code = pythonBlock(reply);
  if (!code.ok) return code;
  const json = fencedBlocks(reply).filter((b) => b.lang === "json").at(-1);
  if (!json) return { ok: false, reason: "no manifest: the reply has no ```json block listing the region methods" };
  let raw: unknown;
  try {
    raw = JSON.parse(json.body);
  } catch (err) {
    return { ok: false, reason: `invalid JSON in the manifest: ${(err as Error).message}` };
  }
  const m = FuserManifestSchema.safeParse(raw);
  if (!m.success) return { ok: false, reason: `the manifest does not fit its schema: ${schemaError(m.error)}` };
  const mismatch = manifestMismatch(m.data, code.value, problemSource.split("\n").length);
  if (mismatch) return { ok: false, reason: mismatch };
  const init = sameInit(problemSource, code.value, "Model");
  if (init) return { ok: false, reason: init };
  return { ok: true, value: { manifest: m.data, code: code.value } };
}

function manifestMismatch(m: FuserManifest, code: string, lines: number): string | null {
  const defined = [...code.matchAll(/^\s*def\s+(_tz_[rc]\d+)\s*\(/gm)].map((x) => x[1]!);
  const listed = m.regions.map((r) => r.method);
  const unlisted = defined.filter((d) => !listed.includes(d));
  const missing = listed.filter((l) => !defined.includes(l));
  if (unlisted.length) return `the manifest does not list ${unlisted.join(", ")}, which the file defines`;
  if (missing.length) return `the manifest lists ${missing.join(", ")}, which the file does not define`;
  for (const r of m.regions) {
    if ((r.kind === "cond") !== r.method.startsWith("_tz_c")) return `${r.method}: kind ${r.kind} does not fit its name (_tz_cN is a condition, _tz_rN a block or return)`;
    if (r.lines[0] > r.lines[1] || r.lines[1] > lines) return `${r.method}: lines ${r.lines.join("-")} are not a range of the problem's ${lines} lines`;
  }
  return null;
}

/** null when `cls`'s __init__ in `code` is `Model.__init__` of the problem, else why not. */
function sameInit(problemSource: string, code: string, cls: string): string | null {
  const want = methodOf(problemSource, "Model", "__init__");
  const got = methodOf(code, cls, "__init__");
  if (want === null) return null; // the problem's Model inherits its __init__: nothing to keep
  if (got === null) return `class ${cls} has no __init__; keep the problem's Model.__init__ character for character`;
  // exact, as the formatter compares it: model_new.py keeps Model's own __init__
  const diff = firstDifference(want.replace(/\bModel\b/g, cls), got, true);
  return diff ? `${cls}.__init__ is not the problem's Model.__init__ (${diff}); keep it character for character` : null;
}


/** The first line where two texts differ (unless `exact`, blank lines and trailing spaces aside), or null. */
function firstDifference(want: string, got: string, exact = false): string | null {
  const norm = (t: string) => (exact ? t.split("\n") : t.split("\n").map((l) => l.trimEnd()).filter((l) => l.trim()));
  const a = norm(want);
  const b = norm(got);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) return `line ${i + 1} of it: expected ${JSON.stringify(a[i]?.trim() ?? "(end)")}, got ${JSON.stringify(b[i]?.trim() ?? "(end)")}`;
  }
  return null;
}

/** The composer's reply: one ```python file whose ModelNew keeps __init__ and fused.py's forward verbatim. */
export function parseComposerReply(reply: string, problemSource: string, fusedSource: string): Parsed<string> {
  const code = pythonBlock(reply);
  if (!code.ok) return code;
  const want = methodOf(fusedSource, "Model", "forward");
  const got = methodOf(code.value, "ModelNew", "forward");
  if (want === null) throw new Error("fused.py defines no Model.forward: the fuse stage's artefact is broken; delete regions.json and run again");
  if (got === null) return { ok: false, reason: "the file defines no ModelNew.forward; keep fused.py's forward character for character" };
  const diff = firstDifference(want.replace(/\bModel\b/g, "ModelNew"), got);
  if (diff) return { ok: false, reason: `ModelNew.forward is not fused.py's forward (${diff}); keep its control flow and calls exactly as written` };
  const init = sameInit(problemSource, code.value, "ModelNew");
  return init ? { ok: false, reason: init } : code;
}
