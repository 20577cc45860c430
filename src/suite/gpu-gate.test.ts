import { strict as assert } from "node:assert";
import { test } from "node:test";
import { gpuGate, type GpuGate } from "./gpu-gate.js";

/** Requests a hold and records, by label, when it is granted; returns its release. */
function holder(gate: GpuGate, granted: string[], label: string, kind: "shared" | "exclusive", gpu = 0) {
  let release: (() => void) | null = null;
  const ready = gate[kind](gpu).then((r) => {
    granted.push(label);
    release = r;
  });
  return { ready, release: () => release!() };
}

const settle = () => new Promise((r) => setImmediate(r));

test("runs share a GPU; a bench waits for the runs holding it and holds it alone", async () => {
  const gate = gpuGate();
  const granted: string[] = [];
  const a = holder(gate, granted, "run a", "shared");
  const b = holder(gate, granted, "run b", "shared");
  await settle();
  assert.deepEqual(granted, ["run a", "run b"]);
  const t = holder(gate, granted, "bench", "exclusive");
  const c = holder(gate, granted, "run c", "shared");
  await settle();
  // the bench waits for a and b; c, arriving after the bench, waits for the bench
  assert.deepEqual(granted, ["run a", "run b"]);
  a.release();
  await settle();
  assert.deepEqual(granted, ["run a", "run b"]);
  b.release();
  await settle();
  assert.deepEqual(granted, ["run a", "run b", "bench"]);
  t.release();
  await settle();
  assert.deepEqual(granted, ["run a", "run b", "bench", "run c"]);
  c.release();
});

test("when the GPU comes free, every waiting bench goes before the runs waiting with them", async () => {
  const gate = gpuGate();
  const granted: string[] = [];
  const a = holder(gate, granted, "run a", "shared");
  await settle();
  const t1 = holder(gate, granted, "bench 1", "exclusive");
  const c = holder(gate, granted, "run c", "shared");
  const t2 = holder(gate, granted, "bench 2", "exclusive");
  a.release();
  await settle();
  assert.deepEqual(granted, ["run a", "bench 1"]);
  t1.release();
  await settle();
  // bench 2 queued after run c, but takes the free GPU first: one drain for both timings
  assert.deepEqual(granted, ["run a", "bench 1", "bench 2"]);
  t2.release();
  await settle();
  assert.deepEqual(granted, ["run a", "bench 1", "bench 2", "run c"]);
  c.release();
});

test("each GPU has its own lane; a release is counted once", async () => {
  const gate = gpuGate();
  const granted: string[] = [];
  const a = holder(gate, granted, "run on 0", "shared", 0);
  await settle();
  const t = holder(gate, granted, "bench on 1", "exclusive", 1);
  await settle();
  assert.deepEqual(granted, ["run on 0", "bench on 1"]);
  const t0 = holder(gate, granted, "bench on 0", "exclusive", 0);
  a.release();
  a.release();
  await settle();
  assert.deepEqual(granted, ["run on 0", "bench on 1", "bench on 0"]);
  // the second release of a did not free the bench's hold on GPU 0
  const c = holder(gate, granted, "run on 0 again", "shared", 0);
  await settle();
  assert.deepEqual(granted, ["run on 0", "bench on 1", "bench on 0"]);
  t0.release();
  await c.ready;
  assert.deepEqual(granted.at(-1), "run on 0 again");
  t.release();
  c.release();
});
