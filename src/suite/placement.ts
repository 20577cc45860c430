import { SuiteInputError } from "./problems.js";

/** A GPU of this host, as nvidia-smi lists it (index is the physical one, CUDA_VISIBLE_DEVICES's). */
export interface GpuDevice {
  index: number;
  name: string;
  memoryMiB: number;
}

/** A worker of this host: its slot number and the GPU its jobs see (null: a CPU process). */
export interface Slot {
  slot: number;
  gpu: number | null;
}

export interface PlacementRequest {
  /** "all", chosen indices, or null for CPU processes */
  gpus: "all" | number[] | null;
  /** workers in all; default one per chosen GPU (one on CPU) */
  jobs: number | null;
  /** memory one job may take on a GPU: a GPU holds at most memory/jobMemory workers */
  jobMemoryMiB: number;
}

export interface Placement {
  slots: Slot[];
  /** what the user should know about the placement (a clamp, say) */
  notes: string[];
}

/** Spreads workers over the chosen GPUs, round-robin, as many per GPU as its memory allows. */
export function placeWorkers(devices: GpuDevice[], req: PlacementRequest): Placement {
  if (req.gpus === null) {
    const n = req.jobs ?? 1;
    return { slots: Array.from({ length: n }, (_, slot) => ({ slot, gpu: null })), notes: [] };
  }
  const chosen = chooseGpus(devices, req.gpus);
  const capacity = new Map(chosen.map((d) => [d.index, Math.max(1, Math.floor(d.memoryMiB / req.jobMemoryMiB))]));
  const total = [...capacity.values()].reduce((a, b) => a + b, 0);
  const notes: string[] = [];
  let jobs = req.jobs ?? chosen.length;
  if (jobs > total) {
    notes.push(`--jobs ${jobs} is more than the chosen GPUs hold at ${Math.round(req.jobMemoryMiB / 1024)} GiB a job; running ${total}`);
    jobs = total;
  }
  const used = new Map(chosen.map((d) => [d.index, 0]));
  const slots: Slot[] = [];
  for (let i = 0; slots.length < jobs; i++) {
    const d = chosen[i % chosen.length]!;
    if (used.get(d.index)! >= capacity.get(d.index)!) continue;
    used.set(d.index, used.get(d.index)! + 1);
    slots.push({ slot: slots.length, gpu: d.index });
  }
  return { slots, notes };
}

function chooseGpus(devices: GpuDevice[], gpus: "all" | number[]): GpuDevice[] {
  if (devices.length === 0) {
    throw new SuiteInputError("--gpus was given but this host has no GPU that nvidia-smi lists; leave --gpus out to run CPU processes");
  }
  if (gpus === "all") return devices;
  const available = devices.map((d) => d.index);
  const unknown = gpus.filter((g) => !available.includes(g));
  if (unknown.length) throw new SuiteInputError(`--gpus names GPU ${unknown.join(", ")}, but this host has ${available.join(", ")}`);
  return devices.filter((d) => gpus.includes(d.index));
}

/** Parses --gpus: `all` or a comma list of indices. */
export function parseGpus(value: string): "all" | number[] {
  if (value === "all") return "all";
  const parts = value.split(",").map((s) => s.trim());
  if (parts.length === 0 || parts.some((p) => !/^\d+$/.test(p))) {
    throw new SuiteInputError(`--gpus ${value}: use all or GPU indices such as 0,1`);
  }
  return [...new Set(parts.map(Number))];
}
