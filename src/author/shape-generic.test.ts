import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { test } from "node:test";
import { captureGraph } from "./capture.js";
import { authorOffline } from "./author.js";
import { resolvePython } from "../harness/python.js";
import { mapConcurrently } from "./map-concurrently.js";

/**
 * ModelNew at a size other than the captured one: kernels that read their sizes from the tensors
 * (pooling) give PyTorch's result; modules whose kernels are specialised to the captured sizes
 * (scans) stop with an error that names the captured shapes. Authored at one size on CPU, called
 * at another under Triton's interpreter, compared with the problem's own Model.
 */
const run = promisify(execFile);
const dir = fileURLToPath(new URL("../../examples/kernelbench_like/", import.meta.url));
const pythonDir = fileURLToPath(new URL("../../python/", import.meta.url));
const out = mkdtempSync(join(tmpdir(), "tritonize-shape-generic-"));

const CHECK = `
import importlib.util, json, sys
import torch
from tritonize_harness.problem import load_problem
problem, model_new, sets = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
prob = load_problem(problem, sets, module_name="shape_check_problem")
spec = importlib.util.spec_from_file_location("shape_check_new", model_new)
mod = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mod)
torch.manual_seed(0)
ref = prob.Model(*prob.get_init_inputs())
torch.manual_seed(0)
new = mod.ModelNew(*prob.get_init_inputs())
torch.manual_seed(1)
inputs = prob.get_inputs()
try:
    got = new(*inputs)
except ValueError as e:
    print(json.dumps({"error": str(e)}))
    sys.exit(0)
want = ref(*inputs)
print(json.dumps({"shape": list(got.shape), "match": list(got.shape) == list(want.shape) and bool(torch.allclose(got, want, atol=1e-5, rtol=1e-5))}))
`;

interface Case {
  file: string;
  authored: Record<string, string>;
  called: Record<string, string>;
}

async function callAtOtherSize(c: Case): Promise<{ error?: string; shape?: number[]; match?: boolean }> {
  const doc = await captureGraph({ problem: join(dir, c.file), sets: c.authored });
  assert.ok(doc.ok, `capture of ${c.file} failed`);
  const r = authorOffline(doc);
  assert.ok(r.ok, `${c.file}: ${r.ok ? "" : r.message}`);
  const path = join(out, c.file.replace(/\.py$/, "_new.py"));
  writeFileSync(path, r.code);
  const python = await resolvePython();
  const { stdout } = await run(python, ["-c", CHECK, join(dir, c.file), path, JSON.stringify(c.called)], {
    cwd: pythonDir,
    env: { ...process.env, TRITON_INTERPRET: "1", PYTHONPATH: pythonDir },
    timeout: 240_000,
  });
  return JSON.parse(stdout.trim().split("\n").pop()!) as { error?: string; shape?: number[]; match?: boolean };
}

test("pooling modules authored at one size give PyTorch's result at another; specialised ones name the captured shapes", { timeout: 600_000 }, async () => {
  const cases: Case[] = [
    { file: "42_Max_Pooling_2D.py", authored: { batch_size: "2", channels: "3", height: "17", width: "19" }, called: { batch_size: "3", channels: "2", height: "12", width: "23" } },
    { file: "44_Average_Pooling_1D.py", authored: { batch_size: "2", in_channels: "3", input_length: "67" }, called: { batch_size: "1", in_channels: "4", input_length: "40" } },
    { file: "89_cumsum.py", authored: { batch_size: "5", input_shape: "(301,)" }, called: { batch_size: "3", input_shape: "(301,)" } },
  ];
  const [maxPool, avgPool, cumsum] = await mapConcurrently(cases, 2, callAtOtherSize);
  assert.deepEqual(maxPool, { shape: [3, 2, 11, 22], match: true });
  assert.deepEqual(avgPool, { shape: [1, 4, 41], match: true });
  assert.match(cumsum!.error ?? "", /generated for inputs of shapes x \(5, 301\); got \(3, 301\)/);
});
