import type { Command } from "commander";
import { captureGraph } from "../../author/capture.js";
import { EXIT } from "../exit-codes.js";
import { collectSet, inputPath, requireFile } from "../options.js";
import type { SetExit } from "./index.js";

export function register(program: Command, setExit: SetExit): void {
  program
    .command("capture")
    .description("trace a problem's Model with PyTorch and print its operator graph as JSON (ops, shapes, dtypes, parameters)")
    .requiredOption("--problem <file>", "KernelBench-format problem", inputPath)
    .option("--set <name=value>", "override a module constant of the problem (repeatable)", collectSet, {})
    .action(async (o) => {
      const missing = requireFile(o.problem, "problem");
      if (missing) {
        process.stderr.write(`tritonize capture: ${missing}\n`);
        setExit(EXIT.problemNotFound);
        return;
      }
      const doc = await captureGraph({ problem: o.problem, sets: o.set });
      process.stdout.write(JSON.stringify(doc, null, 2) + "\n");
      if (!doc.ok) process.stderr.write(`tritonize capture: ${doc.message}\n`);
      setExit(doc.ok ? EXIT.ok : EXIT.rejected);
    });
}
