import nunjucks from "nunjucks";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

/**
 * Renders the prompt templates kept in this folder (`*.njk`). Undefined variables are errors, not
 * empty strings, so a template and its caller cannot drift apart silently. No HTML escaping:
 * prompts carry Python source verbatim.
 */

function templatesDir(): string {
  const override = process.env.TRITONIZE_PROMPTS_DIR;
  if (override) return override;
  const here = dirname(fileURLToPath(import.meta.url));
  // From source (tsx) the templates sit beside this file; a bundle ships them in ./prompts.
  for (const candidate of [here, join(here, "prompts"), join(here, "..", "src", "prompts")]) {
    if (existsSync(join(candidate, "kernel-system.njk"))) return candidate;
  }
  throw new Error(
    `the prompt templates (kernel-system.njk, …) were not found beside ${here}; set TRITONIZE_PROMPTS_DIR to the folder holding them`,
  );
}

let env: nunjucks.Environment | null = null;

function environment(): nunjucks.Environment {
  if (!env) {
    env = new nunjucks.Environment(new nunjucks.FileSystemLoader(templatesDir()), {
      autoescape: false,
      throwOnUndefined: true,
      trimBlocks: true,
      lstripBlocks: true,
    });
  }
  return env;
}

/** Renders `src/prompts/<name>.njk` with the given variables. */
export function renderPrompt(name: string, context: Record<string, unknown>): string {
  return environment().render(`${name}.njk`, context).trim() + "\n";
}
