#!/usr/bin/env node
import { Command } from "commander";
import { registerCommands } from "./commands/index.js";

/** Entry point of the `tritonize` CLI: parses arguments and hands off to one command module. */
export async function main(argv: string[]): Promise<number> {
  const program = new Command();
  program
    .name("tritonize")
    .description("Turn PyTorch programs into Triton kernels proven correct by execution and measured for speed.")
    .showHelpAfterError()
    .exitOverride();
  let exitCode = 0;
  registerCommands(program, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync(argv);
  } catch (err) {
    const e = err as { code?: string; exitCode?: number; message?: string };
    if (typeof e.code === "string" && e.code.startsWith("commander.")) {
      // Help and version end normally; every other parse error is a usage error.
      return e.code === "commander.helpDisplayed" || e.code === "commander.version" || e.exitCode === 0 ? 0 : 2;
    }
    process.stderr.write(`tritonize: ${e.message ?? String(err)}\n`);
    return 1;
  }
  return exitCode;
}

const isEntry = process.argv[1] && import.meta.url.endsWith(process.argv[1].split("/").pop() ?? "");
if (isEntry) {
  main(process.argv).then((code) => process.exit(code));
}
