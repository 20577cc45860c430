import type { Command } from "commander";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { resolveConfig } from "../../config/config.js";
import { createModel } from "../../config/create-model.js";
import type { LanguageModel } from "../../llm/types.js";
import { modelMapping } from "../../pipeline/model-mapping.js";
import { verifyCandidate } from "../../harness/verify.js";
import { formatKernelBench } from "../../pipeline/format.js";
import { parseWith, SubgraphsFileSchema } from "../../pipeline/plan.js";
import { EXIT } from "../exit-codes.js";
import { collectSet, inputPath, parseDevice, parsePositiveInt, requireFile } from "../options.js";
import type { SetExit } from "./index.js";

export function register(program: Command, setExit: SetExit): void {
  program
    .command("format")
    .description("write KernelBench's model_new.py and mapping.json from a composed program, and verify it")
    .requiredOption("--problem <file>", "the original KernelBench-format problem", inputPath)
    .requiredOption("--composed <file>", "composed.py of a pipeline run", inputPath)
    .requiredOption("--subgraphs <file>", "subgraphs.json of the same run", inputPath)
    .option("--out <dir>", "folder for model_new.py and mapping.json", ".")
    .option("--device <device>", "auto | cuda | cpu", parseDevice, "auto")
    .option("--set <name=value>", "constant overrides the run used (repeatable)", collectSet, {})
    .option("--trials <n>", "verification trials", parsePositiveInt, 5)
    .option("--no-verify", "write the files without verifying model_new.py")
    .option("--json", "print only the result document")
    .addHelpText("after", "\nWhere the composed module's __init__ is not Model's and a provider is configured, a model writes the mapping\n(re-asked with the validation error or the verdict, 3 attempts); its model_new.py is always verified.\nExit status: 0 only when model_new.py was written, its mapping is certain and (unless --no-verify) it verified.")
    .action(async (o) => {
      for (const [path, what] of [[o.problem, "problem"], [o.composed, "composed"], [o.subgraphs, "subgraphs"]] as const) {
        const missing = requireFile(path, what);
        if (missing) {
          process.stderr.write(`tritonize format: ${missing}\n`);
          setExit(EXIT.problemNotFound);
          return;
        }
      }
      const subgraphs = parseWith(SubgraphsFileSchema, JSON.parse(readFileSync(o.subgraphs, "utf8")), o.subgraphs);
      const outDir = resolve(o.out);
      let f = formatKernelBench({ problem: o.problem, composed: o.composed, subgraphs, outDir });
      let verdict = f.ok && f.modelNew && o.verify
        ? await verifyCandidate({ problem: o.problem, candidate: f.modelNew, device: o.device, trials: o.trials, sets: o.set, controlReads: subgraphs.conditionReads })
        : null;
      let mapper: LanguageModel | null;
      try {
        mapper = f.ok ? null : mapperModel(outDir);
      } catch (err) {
        process.stderr.write(`tritonize format: ${f.message}, and the mapper model is not usable: ${(err as Error).message}\n`);
        setExit(EXIT.usage);
        return;
      }
      if (!f.ok && mapper) {
        // the model-written mapping is verified as it is made: its verdict is the one reported
        process.stderr.write(`[format] ${f.message}; asking ${mapper.provider}:${mapper.model} for the mapping\n`);
        const m = await modelMapping(
          { problem: o.problem, problemSource: readFileSync(o.problem, "utf8"), composedSource: readFileSync(o.composed, "utf8"), subgraphs, reason: f.message, dir: join(outDir, "mapping"), outDir, device: o.device, trials: o.trials, sets: o.set },
          { model: mapper, verify: verifyCandidate },
        );
        f = { ok: m.ok, message: m.message, modelNew: m.modelNew, mapping: m.mapping, hash: m.hash };
        verdict = m.verdict;
      } else if (!f.ok) {
        f = { ...f, message: `${f.message}; a model-written mapping needs a configured provider (OPENAI_API_KEY or ANTHROPIC_API_KEY, TRITONIZE_MODEL_MAPPER or TRITONIZE_MODEL)` };
      }
      const ok = f.ok && (o.verify || mapper ? verdict?.ok === true : true);
      const doc = { schema: "tritonize.format/1", ok, message: verdict && !verdict.ok ? `model_new.py rejected at ${verdict.stage}: ${verdict.message}` : f.message, modelNew: f.modelNew, mapping: f.mapping, verdict };
      if (o.json) process.stdout.write(JSON.stringify(doc) + "\n");
      else process.stdout.write(`${ok ? "WRITTEN" : "NOT WRITTEN"}  ${doc.message}${f.modelNew ? `\n  model_new.py: ${f.modelNew}` : ""}${verdict ? `\n  verify: ${verdict.message}` : ""}\n`);
      setExit(ok ? EXIT.ok : EXIT.rejected);
    });
}

/** The mapper stage's model where a provider is configured, else null (the deterministic mapping only). */
function mapperModel(outDir: string): LanguageModel | null {
  const config = resolveConfig({});
  if (Object.keys(config.providers).length === 0) return null;
  return createModel(config, "mapper", { record: join(outDir, "mapper-requests") });
}
