import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { after, describe, test } from "node:test";
import { HarnessServer } from "./harness-server.js";
import { fixture } from "./testing.js";

const problem = fixture("scale.py");
const sets = { n: "300" };
const base = { problem, device: "cpu" as const, trials: 2, sets };

/** Gone, or a zombie waiting for its parent (dead all the same). */
function dead(pid: number): boolean {
  if (!existsSync(`/proc/${pid}`)) return true;
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.startsWith("Z") ?? true;
  } catch {
    return true;
  }
}

async function until(ok: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) if (await ok()) return true;
  return ok();
}

describe("the harness server (CPU, Triton interpreter)", () => {
  const servers: HarnessServer[] = [];
  after(() => servers.forEach((s) => s.close()));

  test("each candidate gets a ready process of the pool, never one that ran another candidate", async () => {
    const server = await HarnessServer.start({ poolSize: 1, warm: ["cpu"] });
    servers.push(server);
    const first = await server.verify({ ...base, candidate: fixture("scale_triton.py") }, 120_000);
    assert.equal(first.verdict.ok, true, first.verdict.message);
    assert.equal(first.worker?.warm, true);

    // The process the next candidate gets was started and made ready before it was asked for.
    const before = await server.stats();
    const waiting = before.ready.cpu ?? [];
    assert.equal(waiting.length, 1);
    const crashed = await server.verify({ ...base, candidate: fixture("scale_out_of_bounds.py") }, 120_000);
    assert.equal(crashed.verdict.code, "worker_crashed", crashed.verdict.message);
    assert.equal(crashed.worker?.pid, waiting[0]);

    const third = await server.verify({ ...base, candidate: fixture("scale_triton.py") }, 120_000);
    assert.equal(third.verdict.ok, true, third.verdict.message);
    const stats = await server.stats();
    const pids = [first.worker!.pid, crashed.worker!.pid, third.worker!.pid];
    assert.deepEqual(stats.taken, pids);
    assert.equal(new Set(pids).size, 3, "a process ran two candidates");
    assert.ok(stats.started >= 4, `started ${stats.started}`);
    assert.ok(await until(() => pids.every(dead), 5000), "a used process is still alive");
    // Two trials' reference outputs, computed once for the three candidates of the same problem.
    assert.equal(stats.referencesComputed, 2);
    assert.equal(first.verdict.phases?.referenceCacheHits, 0);
    assert.equal(third.verdict.phases?.referenceCacheHits, 2);
    assert.equal(third.verdict.phases?.trials.length, 2);
    assert.ok((third.verdict.phases?.worker.load ?? -1) >= 0, "the candidate process's own figures are missing");
  });

  test("aborting ends that candidate's process; close() ends the server and its pool", async () => {
    const server = await HarnessServer.start({ poolSize: 1, warm: ["cpu"] });
    servers.push(server);
    const controller = new AbortController();
    const pending = server.verify({ ...base, candidate: fixture("spin_forward.py"), signal: controller.signal }, 120_000);
    assert.ok(await until(async () => (await server.stats()).taken.length === 1, 60_000), "no process was taken");
    const spinner = (await server.stats()).taken[0]!;
    await new Promise((r) => setTimeout(r, 500));
    controller.abort();
    await assert.rejects(pending, (e: Error) => e.name === "AbortError");
    assert.ok(await until(() => dead(spinner), 5000), "the aborted candidate's process is still alive");

    const ready = (await server.stats()).ready.cpu ?? [];
    server.close();
    assert.ok(await until(() => dead(server.pid!) && ready.every(dead), 5000), "the server or its pool outlived close()");
  });
});
