import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { test } from "node:test";
import { onInterrupt } from "./interrupt.js";

test("SIGTERM aborts the command's signal like SIGINT; a second signal only says it is still stopping", () => {
  const source = new EventEmitter();
  let said = "";
  const interrupt = onInterrupt(source, { write: (t: string) => (said += t) });
  assert.equal(interrupt.signal.aborted, false);
  source.emit("SIGTERM");
  assert.equal(interrupt.signal.aborted, true);
  assert.equal(interrupt.received(), "SIGTERM");
  assert.equal((interrupt.signal.reason as Error).name, "AbortError");
  source.emit("SIGINT");
  assert.equal(interrupt.received(), "SIGTERM");
  assert.match(said, /SIGTERM received: stopping[^]*still stopping/);
  interrupt.dispose();
  assert.equal(source.listenerCount("SIGINT") + source.listenerCount("SIGTERM"), 0);
});
