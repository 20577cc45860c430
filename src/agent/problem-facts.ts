import type { ProblemCheck } from "./deps.js";

/**
 * What the harness found when it loaded and ran the reference once: the device it runs on, the
 * sizes actually used (after --set) and the model's mode. The prompt states these, since the
 * problem's source shows its own constants, not the overrides.
 */
export interface ProblemFacts {
  device: string;
  interpreter: boolean;
  sets: string[];
  inputs: string[];
  outputs: string[];
  /** null when the check did not say */
  training: boolean | null;
}

interface Value {
  kind?: unknown;
  shape?: unknown;
  dtype?: unknown;
  value?: unknown;
}

function describe(v: Value): string {
  if (Array.isArray(v.shape)) return `tensor [${v.shape.join(", ")}] ${String(v.dtype ?? "")}`.trimEnd();
  return `${String(v.kind)} ${JSON.stringify(v.value ?? null)}`;
}

export function problemFacts(check: ProblemCheck, sets: Record<string, string> | undefined): ProblemFacts {
  const list = (x: unknown) => (Array.isArray(x) ? (x as Value[]).map(describe) : []);
  const device = typeof check.device === "string" ? check.device : "cpu";
  return {
    device,
    interpreter: device === "cpu",
    sets: Object.entries(sets ?? {}).map(([k, v]) => `${k}=${v}`),
    inputs: list(check.inputs),
    outputs: list(check.outputs),
    training: typeof check.training === "boolean" ? check.training : null,
  };
}
