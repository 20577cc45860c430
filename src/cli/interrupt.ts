import { closeHarnessServers } from "../harness/harness-server.js";
import { EXIT } from "./exit-codes.js";

/**
 * Ctrl-C and SIGTERM for a command: the first one aborts the command's signal, which every spawn
 * it made listens to (each harness call stops its process tree and removes its temp folders), and
 * the command then marks its records as interrupted and exits with EXIT.interrupted.
 */
export interface Interrupt {
  signal: AbortSignal;
  /** the signal that stopped the command, or null while none came */
  received(): NodeJS.Signals | null;
  dispose(): void;
}

export interface SignalSource {
  on(event: NodeJS.Signals, listener: () => void): unknown;
  removeListener(event: NodeJS.Signals, listener: () => void): unknown;
}

export function onInterrupt(
  source: SignalSource = process,
  stderr: { write(text: string): unknown } = process.stderr,
): Interrupt {
  const controller = new AbortController();
  let got: NodeJS.Signals | null = null;
  const handlers = (["SIGINT", "SIGTERM"] as const).map((name) => {
    const handler = () => {
      if (got) {
        stderr.write(`tritonize: still stopping the processes this command started (${name} again)\n`);
        return;
      }
      got = name;
      stderr.write(`tritonize: ${name} received: stopping every process this command started…\n`);
      controller.abort(new InterruptedError(name));
    };
    source.on(name, handler);
    return [name, handler] as const;
  });
  return {
    signal: controller.signal,
    received: () => got,
    dispose: () => {
      for (const [name, handler] of handlers) source.removeListener(name, handler);
    },
  };
}

export class InterruptedError extends Error {
  override name = "AbortError";
  constructor(readonly signalName: NodeJS.Signals) {
    super(`interrupted by ${signalName}`);
  }
}

/** Whether err is the abort of `signal` (a spawn or request stopped because the command was). */
export function isInterrupt(err: unknown, signal: AbortSignal): boolean {
  return signal.aborted && (err === signal.reason || (err as { name?: string })?.name === "AbortError");
}

/**
 * Runs a command's work under Ctrl-C/SIGTERM handling: `work` gets the signal to hand to every
 * spawn; when a signal came, the command reports it and ends with EXIT.interrupted once its
 * processes are gone (`onInterrupted` marks its records first).
 */
export async function interruptible(
  command: string,
  work: (signal: AbortSignal) => Promise<number>,
  onInterrupted: (signal: NodeJS.Signals) => Promise<void> | void = () => {},
): Promise<number> {
  const interrupt = onInterrupt();
  const stopped = async (got: NodeJS.Signals) => {
    await closeHarnessServers(); // warm verification's servers too, not only the spawns of this command
    await onInterrupted(got);
    process.stderr.write(`tritonize ${command}: interrupted by ${got}; every process it started has ended\n`);
    return EXIT.interrupted;
  };
  try {
    const code = await work(interrupt.signal);
    const got = interrupt.received();
    return got === null ? code : await stopped(got);
  } catch (err) {
    const got = interrupt.received();
    if (got === null || !isInterrupt(err, interrupt.signal)) throw err;
    return await stopped(got);
  } finally {
    interrupt.dispose();
  }
}
