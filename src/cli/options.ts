import { statSync } from "node:fs";
import { resolve } from "node:path";
import { InvalidArgumentError } from "commander";

/** Shared option parsers: each rejects bad input with a sentence that says what to pass instead. */

export function parseDevice(value: string): "auto" | "cuda" | "cpu" {
  if (value === "auto" || value === "cuda" || value === "cpu") return value;
  throw new InvalidArgumentError("use auto, cuda or cpu");
}

export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("expected a positive whole number");
  return n;
}

export function collectSet(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const eq = value.indexOf("=");
  const name = value.slice(0, eq).trim();
  if (eq < 1 || !/^[A-Za-z_]\w*$/.test(name)) {
    throw new InvalidArgumentError("expected NAME=VALUE, e.g. --set batch_size=8");
  }
  const literal = value.slice(eq + 1).trim();
  if (!isPythonLiteral(literal)) {
    throw new InvalidArgumentError(
      `${name}=${literal}: the value must be a Python literal: a number (8, 0.5, 1e-3), True, False, None, ` +
        `a quoted string ('mean') or a tuple or list of them ((3, 3))`,
    );
  }
  return { ...previous, [name]: literal };
}

/** An input file: resolved against the working directory; its absence is reported by the caller. */
export function inputPath(value: string): string {
  return resolve(value);
}

/** null when path is a file; else the sentence that says what it is instead. */
export function requireFile(path: string, what: string): string | null {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) return `${what} not found: ${path}`;
  return stat.isDirectory() ? `${what} is a directory, not a file: ${path} (give the .py file)` : null;
}

const SCALAR = /^(?:[+-]?(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][+-]?\d+)?|True|False|None|'[^'\\]*'|"[^"\\]*")$/;

/** What Python's ast.literal_eval accepts for a module constant, short of dicts and sets. */
export function isPythonLiteral(text: string): boolean {
  const t = text.trim();
  if (SCALAR.test(t)) return true;
  const open = t[0];
  if ((open !== "(" || !t.endsWith(")")) && (open !== "[" || !t.endsWith("]"))) return false;
  const parts = splitTopLevel(t.slice(1, -1));
  if (parts === null) return false;
  if (parts.length && parts.at(-1)!.trim() === "") parts.pop(); // a trailing comma
  return parts.every((p) => isPythonLiteral(p));
}

function splitTopLevel(inner: string): string[] | null {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let start = 0;
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i]!;
    if (quote) {
      if (c === quote) quote = null;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === "(" || c === "[") depth++;
    else if (c === ")" || c === "]") depth--;
    else if (c === "," && depth === 0) {
      parts.push(inner.slice(start, i));
      start = i + 1;
    }
    if (depth < 0) return null;
  }
  if (depth !== 0 || quote) return null;
  const last = inner.slice(start);
  if (last.trim() !== "" || parts.length) parts.push(last);
  return parts;
}
