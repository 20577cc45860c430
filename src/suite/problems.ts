import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { EXIT } from "../cli/exit-codes.js";

/** One problem of a suite: a stable id (folder/stem, e.g. `level1/23_Softmax`) and its file. */
export interface SuiteProblem {
  id: string;
  path: string;
}

export interface FoundProblems {
  problems: SuiteProblem[];
  /** .py files inside folders that define no Model/get_inputs/get_init_inputs: skipped, named */
  skipped: string[];
}

/** A problem file's three required definitions, read statically (nothing is imported). */
const REQUIRED: [string, RegExp][] = [
  ["class Model", /^class\s+Model\b/m],
  ["def get_inputs", /^def\s+get_inputs\s*\(/m],
  ["def get_init_inputs", /^def\s+get_init_inputs\s*\(/m],
];

export function missingDefinitions(source: string): string[] {
  return REQUIRED.filter(([, re]) => !re.test(source)).map(([name]) => name);
}

/**
 * Expands PATH arguments into problems: a file is a problem (or an error if it is not one); a folder
 * contributes its .py files, recursively (KernelBench's root holds level1/…level3/). Order is
 * natural (2_… before 10_…), so a suite over level1/ runs in KernelBench's order.
 */
export function findProblems(paths: string[]): FoundProblems {
  if (paths.length === 0) throw new SuiteInputError("no problems given: pass problem files or folders (e.g. KernelBench/level1)");
  const files: string[] = [];
  const skipped: string[] = [];
  for (const arg of paths) {
    const path = resolve(arg);
    if (!existsSync(path)) throw new SuiteInputError(`not found: ${arg} (pass a problem file or a folder of them)`, EXIT.problemNotFound);
    if (statSync(path).isDirectory()) {
      const found = pythonFiles(path);
      const problems = found.filter((f) => missingDefinitions(readFileSync(f, "utf8")).length === 0);
      if (problems.length === 0) {
        throw new SuiteInputError(
          found.length === 0
            ? `no problem files in ${arg}: the folder holds no .py files`
            : `no problem files in ${arg}: none of its ${found.length} .py files defines Model, get_inputs and get_init_inputs`,
        );
      }
      skipped.push(...found.filter((f) => !problems.includes(f)));
      files.push(...problems);
    } else {
      const missing = missingDefinitions(readFileSync(path, "utf8"));
      if (missing.length) {
        throw new SuiteInputError(`${arg} is not a problem file: it lacks ${missing.join(", ")} (KernelBench format: Model, get_inputs, get_init_inputs)`);
      }
      files.push(path);
    }
  }
  return { problems: withIds([...new Set(files)]), skipped };
}

/** A mistake in what the user passed: the CLI prints it and exits with `exitCode`. */
export class SuiteInputError extends Error {
  constructor(message: string, readonly exitCode: number = EXIT.usage) {
    super(message);
  }
}

function pythonFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => naturalCompare(a.name, b.name))) {
    if (entry.name.startsWith(".") || entry.name === "__pycache__") continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...pythonFiles(path));
    else if (entry.isFile() && entry.name.endsWith(".py") && !entry.name.startsWith("__")) out.push(path);
  }
  return out;
}

/** Ids are `<folder>/<stem>`; a clash (same folder name twice) gets a numeric suffix. */
function withIds(files: string[]): SuiteProblem[] {
  const seen = new Map<string, number>();
  return files.map((path) => {
    const base = `${basename(dirname(path))}/${basename(path).replace(/\.py$/, "")}`;
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return { id: n === 1 ? base : `${base}~${n}`, path };
  });
}

/** Compares names with their leading numbers as numbers: 2_Relu < 10_Gelu. */
export function naturalCompare(a: string, b: string): number {
  return a.localeCompare(b, "en", { numeric: true });
}
