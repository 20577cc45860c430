import type { Command } from "commander";
import { verifyCandidateOnce } from "../../harness/verify.js";
import { EXIT, exitFor, helpFooter, PROBLEM_STATUSES } from "../exit-codes.js";
import { interruptible } from "../interrupt.js";
import { collectSet, inputPath, parseDevice, parsePositiveInt, requireFile } from "../options.js";
import { verdictText } from "../verdict-text.js";
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
      helpFooter(
        ["ok", "rejected", ...PROBLEM_STATUSES, "needsGpu", "environment", "interrupted"],
        "tritonize verify --problem examples/problems/05_linear_relu.py --candidate examples/solutions/05_linear_relu.py --set batch_size=37 --set in_features=53 --set out_features=29",
        "accepted",
      ),
    )
    .action(async (o) => {
      const missing = requireFile(o.problem, "problem") ?? requireFile(o.candidate, "candidate");
      if (missing) {
        process.stderr.write(`tritonize verify: ${missing}\n`);
        return setExit(EXIT.problemNotFound);
      }
      setExit(
        await interruptible("verify", async (signal) => {
          const verdict = await verifyCandidateOnce({
            problem: o.problem,
            candidate: o.candidate,
            device: o.device,
            trials: o.trials,
            sets: o.set,
            timeoutMs: o.timeout * 1000,
            signal,
            // progress lines and the problem's own prints; stdout stays the verdict's
            onStderr: (text) => process.stderr.write(text),
          });
          process.stdout.write(o.json ? JSON.stringify(verdict) + "\n" : verdictText(verdict, o.set) + "\n");
          return exitFor(verdict);
        }),
      );
    });
}
