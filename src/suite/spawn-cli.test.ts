import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnCli } from "./spawn-cli.js";

const dir = () => mkdtempSync(join(tmpdir(), "spawn-cli-"));
const node = [process.execPath, "-e"];

test("a child asked for after the suite was stopped is never started", async () => {
  const d = dir();
  const marker = join(d, "ran");
  const controller = new AbortController();
  controller.abort();
  const out = await spawnCli(node, {
    args: [`require("fs").writeFileSync(${JSON.stringify(marker)}, "x")`],
    env: process.env, logFile: join(d, "log"), timeoutMs: 30_000, signal: controller.signal,
  });
  assert.equal(out.aborted, true);
  assert.equal(out.exitCode, null);
  assert.equal(existsSync(marker), false, "the child ran although the signal was aborted before the call");
});

test("a running child is killed as soon as the suite stops", async () => {
  const d = dir();
  const controller = new AbortController();
  const started = Date.now();
  const pending = spawnCli(node, {
    args: ["setTimeout(() => {}, 60000)"],
    env: process.env, logFile: join(d, "log"), timeoutMs: 60_000, signal: controller.signal,
    onPid: () => void setTimeout(() => controller.abort(), 200),
  });
  const out = await pending;
  assert.equal(out.aborted, true);
  assert.equal(out.signal, "SIGKILL");
  assert.ok(Date.now() - started < 10_000, `stopping took ${Date.now() - started} ms`);
});
