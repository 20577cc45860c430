import { existsSync } from "node:fs";
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
  return { ...previous, [name]: value.slice(eq + 1).trim() };
}

/** An input file: resolved against the working directory; its absence is reported by the caller. */
export function inputPath(value: string): string {
  return resolve(value);
}

export function requireFile(path: string, what: string): string | null {
  return existsSync(path) ? null : `${what} not found: ${path}`;
}
