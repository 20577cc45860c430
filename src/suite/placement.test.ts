import assert from "node:assert/strict";
import { test } from "node:test";
import { parseNvidiaSmi } from "./detect-gpus.js";
import { parseGpus, placeWorkers } from "./placement.js";

const four = parseNvidiaSmi("0, NVIDIA H200, 143771\n1, NVIDIA H200, 143771\n2, NVIDIA H200, 143771\n3, NVIDIA H200, 143771\n");

test("one worker per GPU by default; more where memory allows; chosen GPUs only", () => {
  assert.deepEqual(placeWorkers(four, { gpus: "all", jobs: null, jobMemoryMiB: 24 * 1024 }).slots.map((s) => s.gpu), [0, 1, 2, 3]);
  assert.deepEqual(placeWorkers(four, { gpus: [1, 3], jobs: 5, jobMemoryMiB: 24 * 1024 }).slots.map((s) => s.gpu), [1, 3, 1, 3, 1]);
  const big = placeWorkers(four, { gpus: [0], jobs: 3, jobMemoryMiB: 100 * 1024 });
  assert.deepEqual(big.slots.map((s) => s.gpu), [0]);
  assert.match(big.notes[0]!, /running 1/);
  assert.deepEqual(placeWorkers([], { gpus: null, jobs: 3, jobMemoryMiB: 1 }).slots, [{ slot: 0, gpu: null }, { slot: 1, gpu: null }, { slot: 2, gpu: null }]);
});

test("GPUs that are not there, and malformed lists, are refused with the ones that are", () => {
  assert.throws(() => placeWorkers(four, { gpus: [4], jobs: null, jobMemoryMiB: 1 }), /--gpus names GPU 4, but this host has 0, 1, 2, 3/);
  assert.throws(() => placeWorkers([], { gpus: "all", jobs: null, jobMemoryMiB: 1 }), /no GPU that nvidia-smi lists/);
  assert.deepEqual(parseGpus("0,2,2"), [0, 2]);
  assert.throws(() => parseGpus("0,x"), /use all or GPU indices/);
});
