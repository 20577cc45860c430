import { spawn as nodeSpawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { z } from "zod";
import { killTree } from "./kill-tree.js";
import { harnessDir } from "./paths.js";
import { resolvePython } from "./python.js";
import { parseVerdict, type Verdict } from "./verdict.js";
import type { VerifyOptions } from "./verify.js";

/**
 * The client of `python -m tritonize_harness serve`: one long-lived harness that keeps candidate
 * processes ready and reference outputs computed, spoken to in JSON lines. Each candidate still
 * runs in a fresh process of its own; the server and everything it started end with this process,
 * on close(), or when its pipes close.
 */

const WorkerInfoSchema = z.object({ pid: z.number().int(), warm: z.boolean() }).nullable();
export const ServerMessageSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("ready"), pid: z.number().int() }),
  z.object({ type: z.literal("progress"), id: z.string(), text: z.string() }),
  z.object({ type: z.literal("verdict"), id: z.string(), verdict: z.unknown(), worker: WorkerInfoSchema }),
  z.object({ type: z.literal("cancelled"), id: z.string().nullable() }),
  z.object({ type: z.literal("error"), id: z.string().nullable().optional(), message: z.string() }),
  z.object({
    type: z.literal("stats"),
    started: z.number().int(),
    taken: z.array(z.number().int()),
    ready: z.record(z.string(), z.array(z.number().int())),
    referencesComputed: z.number().int(),
    cachedBytes: z.number().int(),
  }),
]);
export type ServerMessage = z.infer<typeof ServerMessageSchema>;
export type ServerStats = Extract<ServerMessage, { type: "stats" }>;
export type WorkerInfo = z.infer<typeof WorkerInfoSchema>;

export interface ServerOptions {
  python?: string;
  /** Ready candidate processes per device (default: the server's, 4 on a GPU and 2 on the CPU). */
  poolSize?: number;
  /** Devices to start processes for at once. */
  warm?: string[];
  env?: NodeJS.ProcessEnv;
  spawn?: typeof nodeSpawn;
}

interface Pending {
  resolve: (v: { verdict: Verdict; worker: WorkerInfo }) => void;
  reject: (e: unknown) => void;
  onStderr?: (text: string) => void;
  label: string;
}

const STDERR_KEEP = 8000;

export class HarnessServer {
  private nextId = 1;
  private readonly pending = new Map<string, Pending>();
  private statsWaiters: ((s: ServerStats) => void)[] = [];
  private stderr = "";
  private exited = false;
  readonly ready: Promise<number>;
  /** settles when the server's process has exited */
  private readonly gone: Promise<void>;

  private constructor(private readonly child: ChildProcess) {
    let markReady!: (pid: number) => void;
    let failReady!: (e: Error) => void;
    this.ready = new Promise((res, rej) => ((markReady = res), (failReady = rej)));
    this.ready.catch(() => undefined);
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (text: string) => (this.stderr = (this.stderr + text).slice(-STDERR_KEEP)));
    createInterface({ input: child.stdout! }).on("line", (line) => {
      const msg = ServerMessageSchema.safeParse(safeJson(line));
      if (!msg.success) return; // not ours: the protocol channel carries only these
      if (msg.data.type === "ready") markReady(msg.data.pid);
      else this.dispatch(msg.data);
    });
    this.gone = new Promise((res) => child.once("exit", () => res()));
    child.once("exit", () => {
      this.exited = true;
      const tail = this.stderr.trim().split("\n").slice(-4).join("\n");
      failReady(new Error(`the harness server ended before it was ready${tail ? `: ${tail}` : ""}`));
      for (const [id, p] of this.pending) {
        this.pending.delete(id);
        p.reject(new ServerGone(tail));
      }
      this.refresh();
    });
    this.refresh();
  }

  static async start(opts: ServerOptions = {}): Promise<HarnessServer> {
    const python = opts.python ?? (await resolvePython(opts.env));
    const args = ["-m", "tritonize_harness", "serve", ...(opts.poolSize ? ["--pool", String(opts.poolSize)] : [])];
    if (opts.warm?.length) args.push("--warm", opts.warm.join(","));
    const child = (opts.spawn ?? nodeSpawn)(python, args, {
      env: { ...(opts.env ?? process.env), PYTHONPATH: harnessDir(), PYTHONUNBUFFERED: "1" },
      detached: true, // its own process group: close() reaches it and everything it started
      stdio: ["pipe", "pipe", "pipe"],
    });
    const server = new HarnessServer(child);
    live.add(server);
    return server;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return !this.exited;
  }

  /** Verifies one candidate; rejects with the signal's reason when aborted (its process is killed). */
  async verify(opts: VerifyOptions, timeoutMs: number): Promise<{ verdict: Verdict; worker: WorkerInfo }> {
    opts.signal?.throwIfAborted();
    if (this.exited) throw new ServerGone(this.stderr.trim());
    const id = String(this.nextId++);
    const options = {
      problem: opts.problem,
      candidate: opts.candidate,
      device: opts.device ?? "auto",
      trials: opts.trials ?? 5,
      sets: opts.sets ?? {},
      timeout_s: timeoutMs / 1000,
    };
    const result = new Promise<{ verdict: Verdict; worker: WorkerInfo }>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onStderr: opts.onStderr, label: `verify ${opts.candidate}` });
    });
    const onAbort = () => {
      const p = this.pending.get(id);
      this.pending.delete(id);
      this.send({ id, cmd: "cancel" });
      p?.reject(opts.signal!.reason);
      this.refresh();
    };
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    this.send({ id, cmd: "verify", options });
    this.refresh();
    try {
      return await result;
    } finally {
      opts.signal?.removeEventListener("abort", onAbort);
    }
  }

  async stats(): Promise<ServerStats> {
    const got = new Promise<ServerStats>((res) => this.statsWaiters.push(res));
    this.send({ cmd: "stats" });
    this.refresh();
    return got;
  }

  /**
   * Ends the server: it stops its candidate processes and removes its directories on SIGTERM;
   * whatever is left after a grace period is killed as a tree.
   */
  close(graceMs = 3000): void {
    live.delete(this);
    const pid = this.child.pid;
    if (pid === undefined || this.exited) return;
    try {
      process.kill(pid, "SIGTERM");
    } catch {
      // already gone
    }
    setTimeout(() => this.exited || killTree(pid), graceMs).unref();
  }

  /** close(), then waits until the server's process has exited (killed as a tree after the grace). */
  async shutdown(graceMs = 3000): Promise<void> {
    this.close(graceMs);
    if (this.exited) return;
    let timer: NodeJS.Timeout | undefined;
    const backstop = new Promise<void>((res) => (timer = setTimeout(res, graceMs + 2000)));
    await Promise.race([this.gone, backstop]);
    clearTimeout(timer);
  }

  private send(msg: object): void {
    if (!this.exited) this.child.stdin!.write(JSON.stringify(msg) + "\n");
  }

  private dispatch(msg: ServerMessage): void {
    if (msg.type === "stats") {
      this.statsWaiters.shift()?.(msg);
      this.refresh();
      return;
    }
    if (msg.type === "ready") return;
    const id = msg.id ?? "";
    const p = this.pending.get(id);
    if (!p) return; // cancelled, or a reply to nobody
    if (msg.type === "progress") {
      p.onStderr?.(`[verify] ${msg.text}\n`);
      return;
    }
    if (msg.type === "cancelled") return;
    this.pending.delete(id);
    this.refresh();
    if (msg.type === "verdict") {
      try {
        p.resolve({ verdict: parseVerdict(msg.verdict, p.label), worker: msg.worker });
      } catch (e) {
        p.reject(e);
      }
    } else if (msg.type === "error") p.reject(new ServerGone(`${p.label}: ${msg.message}`));
  }

  /** An idle server must not keep Node running; one with work in flight must. */
  private refresh(): void {
    const busy = this.pending.size > 0 || this.statsWaiters.length > 0;
    for (const stream of [this.child.stdout, this.child.stderr, this.child.stdin] as (NodeJS.ReadableStream & {
      ref?: () => void;
      unref?: () => void;
    })[]) {
      if (busy) stream?.ref?.();
      else stream?.unref?.();
    }
    if (busy) this.child.ref();
    else this.child.unref();
  }

  get stderrTail(): string {
    return this.stderr;
  }
}

/** The server ended, or failed itself, while a verification was in flight: no verdict came. */
export class ServerGone extends Error {
  override name = "ServerGone";
  constructor(readonly stderr: string) {
    super(`the harness server gave no verdict${stderr ? `: ${stderr.split("\n").pop()}` : ""}`);
  }
}

const live = new Set<HarnessServer>();
// On exit only SIGTERM can be sent (no timer runs after); the server then ends its processes
// itself, and they would end with it regardless (parent-death signals).
process.once("exit", () => {
  for (const server of live) server.close();
});

const shared = new Map<string, Promise<HarnessServer>>();

/** One server per Python environment for this process, started on first use. */
export async function sharedServer(opts: ServerOptions = {}): Promise<HarnessServer> {
  const python = opts.python ?? (await resolvePython(opts.env));
  const existing = shared.get(python);
  if (existing) {
    const server = await existing.catch(() => undefined);
    if (server?.alive) return server;
  }
  const starting = HarnessServer.start({ ...opts, python });
  shared.set(python, starting);
  return starting;
}

/** Ends every server this process started (their candidate processes with them), and waits until they have exited. */
export async function closeHarnessServers(): Promise<void> {
  const servers = await Promise.all([...shared.values()].map((p) => p.catch(() => undefined)));
  shared.clear();
  const all = new Set([...servers.filter((s): s is HarnessServer => s !== undefined), ...live]);
  await Promise.all([...all].map((s) => s.shutdown()));
}

function safeJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}
