import { test } from "node:test";
import assert from "node:assert/strict";
import { APPROACHES, samplingPlan } from "./sampling.js";

test("workers get distinct temperatures and approaches", () => {
  const plan = samplingPlan(4);
  assert.deepEqual(plan.map((p) => p.temperature), [0.3, 0.53, 0.77, 1]);
  assert.equal(new Set(plan.map((p) => p.variant)).size, 4);
  assert.equal(samplingPlan(1)[0]!.temperature, 0.65);
  assert.equal(samplingPlan(6)[4]!.variant, APPROACHES[0]);
  assert.deepEqual(samplingPlan(3, [0.1, 0.9]).map((p) => p.temperature), [0.1, 0.9, 0.1]);
});
