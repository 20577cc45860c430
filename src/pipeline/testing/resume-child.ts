import { runPipeline } from "../run-pipeline.js";
import { scriptedDeps } from "./scripted-deps.js";

/**
 * A pipeline run with scripted dependencies in a process of its own, so a test can SIGKILL it
 * mid-dispatch: `tsx resume-child.ts <problem> <runs-dir> [<run-dir to resume>]`. Prints the
 * subgraphs its author was asked for as one JSON line when it finishes.
 */
const [problem, runs, resume] = process.argv.slice(2);
const deps = scriptedDeps({ subgraphs: 3, authorDelayMs: 400 });
const r = await runPipeline({ problem: problem!, outDir: runs, resume, jobs: 1, outputFormat: "composed" }, deps);
process.stdout.write(JSON.stringify({ ok: r.ok, runDir: r.runDir, solved: deps.solved, message: r.message }) + "\n");
