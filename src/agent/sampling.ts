/**
 * Diversity across workers: each gets its own temperature (spread over a range providers accept;
 * a provider clamps it, or drops it for models without temperature and says so in a warning) and
 * its own approach hint, so workers differ even where temperature is ignored.
 */

export const APPROACHES = [
  "start from the most direct correct kernel: one program per block of the output, simple indexing, every load and store masked.",
  "fuse the whole forward into as few kernels as possible, keeping intermediate values in registers instead of memory.",
  "put numerics first: float32 accumulation, numerically stable reductions, and exact handling of sizes that are not multiples of the block.",
  "design for memory traffic: contiguous loads along the fastest-varying dimension and block sizes chosen from the actual shapes.",
] as const;

export interface WorkerSampling {
  temperature: number;
  variant: string;
}

export function samplingPlan(workers: number, temperatures?: number[], low = 0.3, high = 1.0): WorkerSampling[] {
  const plan: WorkerSampling[] = [];
  for (let i = 0; i < workers; i++) {
    const spread = workers === 1 ? (low + high) / 2 : low + ((high - low) * i) / (workers - 1);
    const temperature = temperatures?.[i % temperatures.length] ?? Number(spread.toFixed(2));
    plan.push({ temperature, variant: APPROACHES[i % APPROACHES.length]! });
  }
  return plan;
}
