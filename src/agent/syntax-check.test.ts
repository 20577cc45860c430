import { test } from "node:test";
import assert from "node:assert/strict";
import { pythonSyntaxServer } from "./syntax-check.js";

test("one interpreter answers syntax and entry-point checks in order", async () => {
  const server = pythonSyntaxServer();
  try {
    const [good, bad, missing, fn] = await Promise.all([
      server.check("class ModelNew:\n    pass\n", "ModelNew"),
      server.check("x = 1\ndef f(:\n    pass\n", "ModelNew"),
      server.check("class Model:\n    pass\n", "ModelNew"),
      server.check("def kernel_function(x):\n    return x\n", "kernel_function"),
    ]);
    assert.deepEqual(good, { ok: true });
    assert.equal(!bad.ok && bad.reason, "syntax");
    assert.equal(!bad.ok && bad.line, 2);
    assert.match(!bad.ok ? bad.message : "", /^SyntaxError: /);
    assert.equal(!missing.ok && missing.reason, "missing-entry");
    assert.deepEqual(fn, { ok: true });
  } finally {
    server.close();
  }
});

test("a missing interpreter is an error that names it", async () => {
  const server = pythonSyntaxServer("/nonexistent/python3");
  await assert.rejects(server.check("x = 1\n", "ModelNew"), /could not run \/nonexistent\/python3 .*TRITONIZE_PYTHON/);
  server.close();
});
