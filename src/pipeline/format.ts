import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { captureMapping, MappingSchema, type Mapping } from "./mapping.js";
import type { SubgraphsFile } from "./plan.js";

/**
 * The formatter: the KernelBench deliverable from a composed program. A deterministic composition
 * already is KernelBench's format (ModelNew with Model's own __init__, kernels and wrapper in one
 * module importing only torch and triton), so model_new.py is composed.py unchanged and
 * mapping.json records why that is right.
 */

export interface FormatResult {
  ok: boolean;
  message: string;
  modelNew: string | null;
  mapping: Mapping | null;
  /** sha256 of model_new.py, so a verdict on identical bytes is not repeated */
  hash: string | null;
}

export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

export function formatKernelBench(o: { problem: string; composed: string; subgraphs: SubgraphsFile; outDir: string }): FormatResult {
  const problemSource = readFileSync(o.problem, "utf8");
  const composed = readFileSync(o.composed, "utf8");
  const problemInit = initOf(problemSource, "Model");
  const composedInit = initOf(composed, "ModelNew");
  if (problemInit === null || composedInit === null || normalise(problemInit, "Model") !== normalise(composedInit, "ModelNew")) {
    return {
      ok: false,
      message: "ModelNew.__init__ in the composed module is not Model.__init__: the identity mapping does not hold, so a model must write the mapping",
      modelNew: null,
      mapping: null,
      hash: null,
    };
  }
  const mapping = MappingSchema.parse(captureMapping(o.subgraphs.subgraphs));
  mkdirSync(o.outDir, { recursive: true });
  const modelNew = join(o.outDir, "model_new.py");
  writeFileSync(modelNew, composed);
  writeFileSync(join(o.outDir, "mapping.json"), JSON.stringify(mapping, null, 2) + "\n");
  return {
    ok: mapping.certain,
    message: mapping.certain ? "model_new.py written; mapping is the identity, derived from the capture" : `mapping not certain: ${mapping.notes.join("; ")}`,
    modelNew,
    mapping,
    hash: sha256(composed),
  };
}

/** The text of `def __init__` of class `cls` (up to the next method), or null. */
export function initOf(source: string, cls: string): string | null {
  return methodOf(source, cls, "__init__");
}

/** The text of method `name` of class `cls` (up to the next statement at its indentation), or null. */
export function methodOf(source: string, cls: string, name: string): string | null {
  const lines = source.split("\n");
  const c = lines.findIndex((l) => new RegExp(`^class\\s+${cls}\\b`).test(l));
  if (c < 0) return null;
  const s = lines.findIndex((l, i) => i > c && new RegExp(`^\\s+def\\s+${name}\\s*\\(`).test(l));
  if (s < 0) return null;
  const pad = (lines[s]!.match(/^\s*/) ?? [""])[0].length;
  const out = [lines[s]!];
  for (let i = s + 1; i < lines.length; i++) {
    const l = lines[i]!;
    if (l.trim() && (l.match(/^\s*/) ?? [""])[0].length <= pad) break;
    out.push(l);
  }
  return out.join("\n").trimEnd();
}

function normalise(init: string, cls: string): string {
  return init.replace(new RegExp(`\\b${cls}\\b`, "g"), "CLS");
}
