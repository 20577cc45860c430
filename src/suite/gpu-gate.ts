/**
 * Several workers may share a GPU for capture and verification, but a timing must have the GPU to
 * itself: timings taken beside other jobs would be slower than the truth. Per GPU, runs hold it
 * shared and bench holds it alone; a waiting bench goes before runs that arrive after it.
 */
export interface GpuGate {
  shared(gpu: number): Promise<() => void>;
  exclusive(gpu: number): Promise<() => void>;
}

interface Lane {
  holders: number;
  exclusive: boolean;
  queue: { exclusive: boolean; wake: () => void }[];
}

export function gpuGate(): GpuGate {
  const lanes = new Map<number, Lane>();
  const lane = (gpu: number) => {
    let l = lanes.get(gpu);
    if (!l) lanes.set(gpu, (l = { holders: 0, exclusive: false, queue: [] }));
    return l;
  };
  const pump = (l: Lane) => {
    while (l.queue.length && !l.exclusive) {
      const next = l.queue[0]!;
      if (next.exclusive && l.holders > 0) return;
      l.queue.shift();
      l.holders++;
      l.exclusive = next.exclusive;
      next.wake();
    }
  };
  const acquire = (gpu: number, exclusive: boolean) =>
    new Promise<() => void>((resolve) => {
      const l = lane(gpu);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        l.holders--;
        l.exclusive = false;
        pump(l);
      };
      l.queue.push({ exclusive, wake: () => resolve(release) });
      pump(l);
    });
  return { shared: (gpu) => acquire(gpu, false), exclusive: (gpu) => acquire(gpu, true) };
}
