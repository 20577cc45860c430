import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * Parses a .env file: KEY=value lines, optional `export `, '#' comments, single quotes (literal)
 * and double quotes (with \n, \t, \" and \\ escapes). Malformed lines are reported, not guessed.
 */
export function parseDotenv(text: string): { values: Record<string, string>; errors: string[] } {
  const values: Record<string, string> = {};
  const errors: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith("#")) return;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!m) {
      errors.push(`line ${i + 1}: expected KEY=value`);
      return;
    }
    const key = m[1]!;
    let value = m[2]!;
    if (value.startsWith('"')) {
      const end = /^"((?:[^"\\]|\\.)*)"/.exec(value);
      if (!end) return void errors.push(`line ${i + 1}: unterminated double quote for ${key}`);
      value = end[1]!.replace(/\\(.)/g, (_, c: string) => ({ n: "\n", t: "\t", r: "\r" })[c] ?? c);
    } else if (value.startsWith("'")) {
      const end = value.indexOf("'", 1);
      if (end < 0) return void errors.push(`line ${i + 1}: unterminated single quote for ${key}`);
      value = value.slice(1, end);
    } else {
      // An unquoted value ends at a comment that follows whitespace.
      value = value.replace(/\s+#.*$/, "").trim();
    }
    values[key] = value;
  });
  return { values, errors };
}

/** Reads `<cwd>/.env` if it exists. */
export function readDotenvFile(cwd: string): { path: string; values: Record<string, string>; errors: string[] } | null {
  const path = join(cwd, ".env");
  if (!existsSync(path)) return null;
  return { path, ...parseDotenv(readFileSync(path, "utf8")) };
}
