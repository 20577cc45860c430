import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { EXIT } from "../cli/exit-codes.js";
import { findProblems, SuiteInputError } from "./problems.js";
import { problemFolder, tempDir } from "./testing.js";

test("folders give their problem files in KernelBench's order, recursively, with folder/stem ids", () => {
  const level1 = problemFolder(["10_Gelu.py", "2_Relu.py", "1_Matmul.py"]);
  writeFileSync(join(level1, "helpers.py"), "def helper():\n    pass\n");
  writeFileSync(join(level1, "notes.txt"), "not python");
  const found = findProblems([join(level1, "..")]);
  assert.deepEqual(found.problems.map((p) => p.id), ["level1/1_Matmul", "level1/2_Relu", "level1/10_Gelu"]);
  assert.deepEqual(found.skipped, [join(level1, "helpers.py")]);
  const again = findProblems([level1, join(level1, "2_Relu.py")]);
  assert.equal(again.problems.length, 3, "a file named twice runs once");
});

test("a missing path, an empty folder and a file that is not a problem are clear errors", () => {
  const missing = () => findProblems(["/nonexistent/level9"]);
  assert.throws(missing, (e: unknown) => e instanceof SuiteInputError && e.exitCode === EXIT.problemNotFound && /not found: \/nonexistent\/level9/.test(e.message));
  const empty = join(tempDir("suite-empty"), "empty");
  mkdirSync(empty);
  assert.throws(() => findProblems([empty]), /no problem files in .*empty: the folder holds no \.py files/);
  const helper = join(empty, "helper.py");
  writeFileSync(helper, "class Model:\n    pass\n");
  assert.throws(() => findProblems([empty]), /none of its 1 \.py files defines Model, get_inputs and get_init_inputs/);
  assert.throws(() => findProblems([helper]), (e: unknown) => e instanceof SuiteInputError && e.exitCode === EXIT.usage && /is not a problem file: it lacks def get_inputs, def get_init_inputs/.test(e.message));
  assert.throws(() => findProblems([]), /no problems given/);
});
