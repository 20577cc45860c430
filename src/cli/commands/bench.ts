import type { Command } from "commander";
import { benchCandidate } from "../../harness/bench.js";
import type { Verdict } from "../../harness/verdict.js";
import { EXIT, exitFor, helpFooter, PROBLEM_STATUSES } from "../exit-codes.js";
import { interruptible } from "../interrupt.js";
import { collectSet, inputPath, parseDevice, parsePositiveInt, requireFile } from "../options.js";
import { verdictText } from "../verdict-text.js";
import type { SetExit } from "./index.js";

export function register(program: Command, setExit: SetExit): void {
  program
    .command("bench")
    .description("time a verified candidate against PyTorch eager and torch.compile (needs a CUDA GPU)")
    .requiredOption("--problem <file>", "KernelBench-format problem", inputPath)
    .requiredOption("--candidate <file>", "candidate defining ModelNew or kernel_function(*inputs)", inputPath)
    .option("--device <device>", "auto | cuda", parseDevice, "auto")
    .option("--trials <n>", "timed iterations per implementation", parsePositiveInt, 100)
    .option("--warmup <n>", "untimed iterations first", parsePositiveInt, 10)
    .option("--no-compile", "skip torch.compile")
    .option("--cache-only", "verify and run each implementation once: compiles the candidate's kernels and torch.compile's graph into their on-disk caches, times nothing (a suite does this beside other jobs, then times with the GPU alone)")
    .option("--set <name=value>", "override a module constant of the problem (repeatable)", collectSet, {})
    .option("--json", "print only the verdict document with its timings")
    .addHelpText(
      "after",
      helpFooter(
        ["ok", "rejected", ...PROBLEM_STATUSES, "needsGpu", "environment", "interrupted"],
        "tritonize bench --problem examples/problems/05_linear_relu.py --candidate examples/solutions/05_linear_relu.py",
        "verified and timed",
      ),
    )
    .action(async (o) => {
      const missing = requireFile(o.problem, "problem") ?? requireFile(o.candidate, "candidate");
      if (missing) {
        process.stderr.write(`tritonize bench: ${missing}\n`);
        return setExit(EXIT.problemNotFound);
      }
      setExit(
        await interruptible("bench", async (signal) => {
          const verdict = await benchCandidate({
            problem: o.problem,
            candidate: o.candidate,
            device: o.device,
            iterations: o.cacheOnly ? 1 : o.trials,
            warmup: o.cacheOnly ? 1 : o.warmup,
            compile: o.compile,
            sets: o.set,
            signal,
          });
          // one iteration is no timing: the verdict says what was compiled, without its figures
          const shown = o.cacheOnly && verdict.timings ? { ...verdict, timings: null } : verdict;
          process.stdout.write(o.json ? JSON.stringify(shown) + "\n" : (o.cacheOnly && shown.ok ? "caches filled: verified, and each implementation ran once" : renderBench(shown, o.set)) + "\n");
          return exitFor(verdict);
        }),
      );
    });
}

export function renderBench(v: Verdict, sets: Record<string, string> = {}): string {
  if (!v.ok || !v.timings) return verdictText(v, sets);
  const t = v.timings;
  const row = (name: string, f: { median: number; mean: number }) =>
    `${name.padEnd(22)}${f.median.toFixed(4).padStart(12)}${f.mean.toFixed(4).padStart(12)}`;
  const lines = [
    `${"implementation".padEnd(22)}${"median ms".padStart(12)}${"mean ms".padStart(12)}`,
    row("candidate (Triton)", t.candidate),
    row("PyTorch eager", t.eager),
  ];
  if (t.compiled) lines.push(row("torch.compile", t.compiled));
  let speed = `speed-up vs eager ${t.speedupVsEager.toFixed(2)}x`;
  if (t.speedupVsCompiled !== null) speed += `, vs torch.compile ${t.speedupVsCompiled.toFixed(2)}x`;
  else if (t.compileError) speed += `; torch.compile failed: ${t.compileError}`;
  lines.push(speed, `verified before and after timing (${v.trials.length} trials); ${t.trials} timed iterations each`);
  return lines.join("\n");
}
