import { test } from "node:test";
import assert from "node:assert/strict";
import { captureOnce, type CaptureOptions } from "./capture.js";
import type { CaptureDocument } from "./graph.js";

function counting(result: (o: CaptureOptions) => CaptureDocument) {
  const calls: CaptureOptions[] = [];
  const capture = async (o: CaptureOptions) => {
    calls.push(o);
    return result(o);
  };
  return { calls, capture };
}

const failed = (code: string): CaptureDocument => ({ schema: "tritonize.graph/1", ok: false, problem: "p.py", code, message: code, line: null });

test("one capture serves every caller of the same problem and sizes", async () => {
  const { calls, capture } = counting(() => failed("trace_failed"));
  const once = captureOnce(capture);
  const a = await once({ problem: "p.py", sets: { n: "4" } });
  const b = await once({ problem: "./p.py", sets: { n: "4" } });
  assert.equal(calls.length, 1);
  assert.equal(a, b);
  await once({ problem: "p.py", sets: { n: "8" } });
  assert.equal(calls.length, 2, "other sizes are another graph");
});

test("a capture that timed out, crashed or was interrupted is tried again", async () => {
  for (const code of ["capture_timeout", "capture_crashed"]) {
    const { calls, capture } = counting(() => failed(code));
    const once = captureOnce(capture);
    await once({ problem: "p.py" });
    await once({ problem: "p.py" });
    assert.equal(calls.length, 2, code);
  }
  const stop = new AbortController();
  const { calls, capture } = counting(() => {
    stop.abort();
    return failed("trace_failed");
  });
  const once = captureOnce(capture);
  await once({ problem: "p.py", signal: stop.signal });
  await once({ problem: "p.py" });
  assert.equal(calls.length, 2);
});

test("a capture that threw is not kept", async () => {
  let n = 0;
  const once = captureOnce(async () => {
    n += 1;
    throw new Error("spawn failed");
  });
  await assert.rejects(once({ problem: "p.py" }));
  await assert.rejects(once({ problem: "p.py" }));
  assert.equal(n, 2);
});
