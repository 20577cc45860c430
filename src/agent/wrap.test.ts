import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fixture } from "../harness/testing.js";
import { verifyCandidate } from "../harness/verify.js";
import { wrapKernelFunction } from "./wrap.js";

test("a kernel_function wrapped into ModelNew passes the real harness as a module", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tritonize-wrap-"));
  try {
    const source = readFileSync(fixture("add_kernel_function.py"), "utf8");
    const wrapped = wrapKernelFunction(source);
    assert.ok(wrapped);
    assert.equal(wrapKernelFunction(wrapped), null, "a file with ModelNew is left as it is");
    const candidate = join(dir, "kernel.py");
    writeFileSync(candidate, wrapped);
    const v = await verifyCandidate({ problem: fixture("add_functional.py"), candidate, device: "cpu", trials: 1 });
    assert.equal(v.ok, true, v.message);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
