import type { Command } from "commander";
import { captureGraph } from "../../author/capture.js";
import { EXIT, helpFooter } from "../exit-codes.js";
import { interruptible } from "../interrupt.js";
import { collectSet, inputPath, requireFile } from "../options.js";
import type { SetExit } from "./index.js";

export function register(program: Command, setExit: SetExit): void {
  program
    .command("capture")
    .description("trace a problem's Model with PyTorch and print its operator graph as JSON (ops, shapes, dtypes, parameters)")
    .requiredOption("--problem <file>", "KernelBench-format problem", inputPath)
    .option("--set <name=value>", "override a module constant of the problem (repeatable)", collectSet, {})
    .addHelpText(
      "after",
      helpFooter(["ok", "rejected", "usage", "problemNotFound", "environment", "interrupted"], "tritonize capture --problem examples/offline/linear_epilogue.py > graph.json", "captured"),
    )
    .action(async (o) => {
      const missing = requireFile(o.problem, "problem");
      if (missing) {
        process.stderr.write(`tritonize capture: ${missing}\n`);
        setExit(EXIT.problemNotFound);
        return;
      }
      setExit(
        await interruptible("capture", async (signal) => {
          const doc = await captureGraph({ problem: o.problem, sets: o.set, signal });
          process.stdout.write(JSON.stringify(doc, null, 2) + "\n");
          if (!doc.ok) process.stderr.write(`tritonize capture: ${doc.message}\n`);
          return doc.ok ? EXIT.ok : EXIT.rejected;
        }),
      );
    });
}
