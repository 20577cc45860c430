import { createHash } from "node:crypto";

/**
 * The form of a candidate used to spot duplicates: line endings unified, trailing spaces, blank
 * lines and whole-line comments dropped. Two candidates that differ only in those run the same.
 * (Inline comments are kept: telling them from `#` inside strings needs a tokenizer.)
 */
export function normalizeCandidate(code: string): string {
  return code
    .replace(/\r\n?/g, "\n")
    .split("\n")
    .map((l) => l.replace(/\s+$/, ""))
    .filter((l) => l !== "" && !/^\s*#/.test(l))
    .join("\n");
}

export function candidateHash(code: string): string {
  return createHash("sha256").update(normalizeCandidate(code)).digest("hex");
}
