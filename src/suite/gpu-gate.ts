/**
 * Several workers may share a GPU for capture and verification, but a timing must have the GPU to
 * itself: timings taken beside other jobs would be slower than the truth. Per GPU, runs hold it
 * shared and bench holds it alone. A waiting bench goes before runs that arrive after it, and
 * when the GPU comes free, every bench waiting then goes first, one after another, before the
 * runs waiting with them: each time the GPU drains for a timing, all the timings ready take it,
 * instead of one timing per drain.
 */
export interface GpuGate {
  shared(gpu: number): Promise<() => void>;
  exclusive(gpu: number): Promise<() => void>;
}

interface Waiter {
  exclusive: boolean;
  wake: () => void;
}

interface Lane {
  holders: number;
  exclusive: boolean;
  queue: Waiter[];
}

export function gpuGate(): GpuGate {
  const lanes = new Map<number, Lane>();
  const lane = (gpu: number) => {
    let l = lanes.get(gpu);
    if (!l) lanes.set(gpu, (l = { holders: 0, exclusive: false, queue: [] }));
    return l;
  };
  const admit = (l: Lane, i: number) => {
    const [next] = l.queue.splice(i, 1);
    l.holders++;
    l.exclusive = next!.exclusive;
    next!.wake();
  };
  const pump = (l: Lane) => {
    while (l.queue.length && !l.exclusive) {
      const bench = l.queue.findIndex((w) => w.exclusive);
      if (l.holders === 0 && bench >= 0) {
        admit(l, bench); // the GPU is now held alone
        return;
      }
      if (l.queue[0]!.exclusive) return;
      admit(l, 0);
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
