#!/usr/bin/env node
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Command } from "commander";
import { projectRoot } from "../harness/paths.js";
import { registerCommands } from "./commands/index.js";
import { EXIT } from "./exit-codes.js";

/** Entry point of the `tritonize` CLI: parses arguments and hands off to one command module. */
export async function main(argv: string[]): Promise<number> {
  const program = new Command();
  program
    .name("tritonize")
    .description("Turn PyTorch programs into Triton kernels proven correct by execution and measured for speed.")
    .version(version(), "-V, --version", "print tritonize's version")
    .addHelpText("after", `\nStart with:\n  tritonize run --problem examples/offline/linear_epilogue.py\n  tritonize <command> --help`)
    .exitOverride();
  let exitCode = 0;
  registerCommands(program, (code) => {
    exitCode = code;
  });
  for (const command of [program, ...program.commands]) command.exitOverride();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    const e = err as { code?: string; exitCode?: number; message?: string };
    if (typeof e.code === "string" && e.code.startsWith("commander.")) {
      // Help and version end normally; every other parse error is a usage error, already printed
      // in one line by commander: point at the help instead of printing all of it.
      if (e.code === "commander.helpDisplayed" || e.code === "commander.version" || e.exitCode === 0) return EXIT.ok;
      if (e.code === "commander.help") return EXIT.usage; // `tritonize` alone: the help was printed
      process.stderr.write(`(see 'tritonize ${commandName(program, argv)}--help')\n`);
      return EXIT.usage;
    }
    process.stderr.write(`tritonize: ${e.message ?? String(err)}\n`);
    // the harness's Python is missing or unusable: a setup problem, not a verdict
    return (err as Error).name === "HarnessUnavailable" ? EXIT.environment : EXIT.rejected;
  }
  return exitCode;
}

function commandName(program: Command, argv: string[]): string {
  const names = new Set(program.commands.map((c) => c.name()));
  const name = argv.slice(2).find((a) => names.has(a));
  return name ? `${name} ` : "";
}

function version(): string {
  try {
    return (JSON.parse(readFileSync(join(projectRoot(), "package.json"), "utf8")) as { version: string }).version;
  } catch {
    return "unknown";
  }
}

const isEntry = process.argv[1] && import.meta.url.endsWith(process.argv[1].split("/").pop() ?? "");
if (isEntry) {
  main(process.argv).then((code) => process.exit(code));
}
