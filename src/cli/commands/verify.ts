import type { Command } from "commander";
import { renderVerdict } from "../../harness/render-verdict.js";
import { verifyCandidateOnce } from "../../harness/verify.js";
import { exitFor } from "../exit-codes.js";
import { collectSet, inputPath, parseDevice, parsePositiveInt } from "../options.js";
import type { SetExit } from "./index.js";

export function register(program: Command, setExit: SetExit): void {
  program
    .command("verify")
    .description("check by execution that a Triton candidate computes what a problem's Model computes, honestly")
    .requiredOption("--problem <file>", "KernelBench-format problem (Model, get_inputs, get_init_inputs)", inputPath)
    .requiredOption("--candidate <file>", "candidate defining ModelNew or kernel_function(*inputs)", inputPath)
    .option("--device <device>", "auto | cuda | cpu (cpu runs Triton's interpreter)", parseDevice, "auto")
    .option("--trials <n>", "trials with fresh inputs from distinct seeds", parsePositiveInt, 5)
    .option("--set <name=value>", "override a module constant of the problem (repeatable)", collectSet, {})
    .option("--timeout <seconds>", "wall-clock limit for the candidate", parsePositiveInt, 120)
    .option("--json", "print only the verdict document")
    .addHelpText(
      "after",
      `\nExit status: 0 accepted, 1 rejected, 2 usage, 3 problem not found, 4 problem syntax error,\n` +
        `5 problem incomplete, 6 problem raised, 7 problem output not tensors, 9 harness not set up.`,
    )
    .action(async (o) => {
      const verdict = await verifyCandidateOnce({
        problem: o.problem,
        candidate: o.candidate,
        device: o.device,
        trials: o.trials,
        sets: o.set,
        timeoutMs: o.timeout * 1000,
        // progress lines and the problem's own prints; stdout stays the verdict's
        onStderr: (text) => process.stderr.write(text),
      });
      process.stdout.write(o.json ? JSON.stringify(verdict) + "\n" : renderVerdict(verdict) + "\n");
      setExit(exitFor(verdict));
    });
}


