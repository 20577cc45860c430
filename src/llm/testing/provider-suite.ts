import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { LlmError, type ProviderErrorCode } from "../errors.js";
import type { ProviderRuntime } from "../provider-base.js";
import type { LanguageModel } from "../types.js";
import type { ScriptInput, StepInput } from "./script.js";
import type { ScriptedServer } from "./scripted-server.js";

/** How the shared suite reaches one provider implementation. */
export interface ProviderHarness {
  name: string;
  startServer(script: ScriptInput): Promise<ScriptedServer>;
  makeModel(url: string, runtime: Partial<ProviderRuntime>): LanguageModel;
  /** Whether `n` samples come from one request (true) or parallel requests (false). */
  nativeN: boolean;
}

const fastRetry = { maxRetries: 3, baseDelayMs: 100, maxDelayMs: 1000, maxRetryAfterMs: 60_000 };

/** Sleeps recorded, not slept, so retry tests take no time. */
function recordingSleep() {
  const slept: number[] = [];
  const sleep = async (ms: number) => {
    slept.push(ms);
  };
  return { slept, sleep };
}

async function expectError(p: Promise<unknown>, code: ProviderErrorCode): Promise<LlmError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof LlmError, `expected LlmError, got ${String(err)}`);
    assert.equal(err.detail.code, code, `expected ${code}, got ${err.detail.code}: ${err.message}`);
    return err;
  }
  assert.fail(`expected a ${code} error, got an answer`);
}

const ask = [
  { role: "system" as const, content: "You answer briefly." },
  { role: "user" as const, content: "Say hello." },
];

/** The scripted-wire cases every provider must pass (one suite, run per provider). */
export function runProviderSuite(h: ProviderHarness): void {
  describe(`provider ${h.name}`, () => {
    const servers: ScriptedServer[] = [];
    after(async () => {
      await Promise.all(servers.map((s) => s.close()));
    });
    async function setup(steps: StepInput[], runtime: Partial<ProviderRuntime> = {}) {
      const server = await h.startServer({ steps });
      servers.push(server);
      const { slept, sleep } = recordingSleep();
      const model = h.makeModel(server.url, { retry: fastRetry, sleep, random: () => 0.5, timeoutMs: 5000, ...runtime });
      return { server, model, slept };
    }

    test("plain answer: text, finish reason, usage, no retries", async () => {
      const { model, server } = await setup([{ reply: { text: "Hello there.", usage: { input: 12, output: 3 } } }]);
      const r = await model.generate({ messages: ask });
      assert.equal(r.samples.length, 1);
      assert.equal(r.samples[0]!.text, "Hello there.");
      assert.equal(r.samples[0]!.finishReason, "stop");
      assert.deepEqual(r.usage, { inputTokens: 12, outputTokens: 3 });
      assert.equal(r.retries, 0);
      assert.equal(r.provider, h.name);
      assert.equal(server.requests.length, 1);
      assert.equal(server.requests[0]!.body.stream, true);
      // The system prompt reaches the server (Anthropic: top-level `system`; OpenAI: a system turn).
      assert.match(JSON.stringify(server.requests[0]!.body), /You answer briefly\./);
    });

    test("streamed answer: deltas arrive in order and add up to the text", async () => {
      const { model } = await setup([{ reply: { text: "abcdefghijklmnop", chunkSize: 3, finish: "length" } }]);
      const deltas: string[] = [];
      const r = await model.generate({ messages: ask, onDelta: (d, s) => deltas.push(`${s}:${d}`) });
      assert.deepEqual(deltas, ["0:abc", "0:def", "0:ghi", "0:jkl", "0:mno", "0:p"]);
      assert.equal(r.samples[0]!.text, "abcdefghijklmnop");
      assert.equal(r.samples[0]!.finishReason, "length");
    });

    test("429 with retry-after, then success: waits what the server asked", async () => {
      const { model, slept, server } = await setup([
        { status: 429, headers: { "retry-after": "3" }, error: "slow down" },
        { reply: { text: "done" } },
      ]);
      const retries: number[] = [];
      const r = await model.generate({ messages: ask, onRetry: (i) => retries.push(i.delayMs) });
      assert.equal(r.samples[0]!.text, "done");
      assert.equal(r.retries, 1);
      assert.deepEqual(slept, [3000]);
      assert.deepEqual(retries, [3000]);
      assert.equal(server.requests.length, 2);
      assert.equal(r.trace?.attempts[0]?.error?.code, "rate_limited");
    });

    test("retry-after is really waited for (real clock, small value)", async () => {
      const server = await h.startServer({ steps: [{ status: 429, headers: { "retry-after-ms": "150" } }, { reply: { text: "late" } }] });
      servers.push(server);
      const model = h.makeModel(server.url, { retry: fastRetry, timeoutMs: 5000 });
      const t0 = Date.now();
      const r = await model.generate({ messages: ask });
      assert.equal(r.samples[0]!.text, "late");
      const gap = server.requests[1]!.receivedAt - server.requests[0]!.receivedAt;
      assert.ok(gap >= 145, `second request came ${gap}ms after the first`);
      assert.ok(Date.now() - t0 < 3000);
    });

    test("500 twice, then success: exponential backoff with jitter", async () => {
      const { model, slept } = await setup([{ status: 500 }, { status: 503 }, { reply: { text: "finally" } }]);
      const r = await model.generate({ messages: ask });
      assert.equal(r.samples[0]!.text, "finally");
      assert.equal(r.retries, 2);
      // random() = 0.5: half fixed plus a quarter: 100 -> 75, 200 -> 150.
      assert.deepEqual(slept, [75, 150]);
    });

    test("500 on every attempt: a typed server_error after the last retry", async () => {
      const { model, server } = await setup(Array.from({ length: 4 }, () => ({ status: 500, error: "boom" })));
      const err = await expectError(model.generate({ messages: ask }), "server_error");
      assert.equal(server.requests.length, 4);
      assert.match(err.message, /boom/);
      assert.equal(err.trace?.attempts.length, 4);
    });

    test("401 is not retried", async () => {
      const { model, server } = await setup([{ status: 401, error: "invalid x-api-key" }]);
      await expectError(model.generate({ messages: ask }), "auth");
      assert.equal(server.requests.length, 1);
    });

    test("connection dropped mid-stream, then success: partial text is void", async () => {
      const { model, server } = await setup([{ reply: { text: "first try is lost" }, dropAfterEvents: 4 }, { reply: { text: "second" } }]);
      const retried: string[] = [];
      const r = await model.generate({ messages: ask, onRetry: (i) => retried.push(i.error.code) });
      assert.equal(r.samples[0]!.text, "second");
      assert.deepEqual(retried, ["connection"]);
      assert.equal(server.requests.length, 2);
    });

    test("stream that ends without its final event is an error, not an empty answer", async () => {
      const { model } = await setup(Array.from({ length: 4 }, () => ({ reply: { text: "cut short" }, endAfterEvents: 3 })));
      const err = await expectError(model.generate({ messages: ask }), "malformed_stream");
      assert.equal(err.detail.code === "malformed_stream" && err.detail.reason, "truncated");
    });

    test("malformed event is a malformed_stream error and is not retried", async () => {
      const { model, server } = await setup([{ reply: { text: "some text here" }, malformedAfterEvents: 3 }]);
      const err = await expectError(model.generate({ messages: ask }), "malformed_stream");
      assert.equal(err.detail.code === "malformed_stream" && err.detail.reason, "invalid_json");
      assert.equal(server.requests.length, 1);
    });

    test("server that never answers: timeout after each attempt, then a typed error", async () => {
      const { model, server } = await setup(
        [{ hang: true }, { hang: true }],
        { timeoutMs: 150, retry: { ...fastRetry, maxRetries: 1 } },
      );
      const t0 = Date.now();
      const err = await expectError(model.generate({ messages: ask }), "timeout");
      assert.ok(Date.now() - t0 < 2000);
      assert.equal(server.requests.length, 2);
      assert.match(err.message, /150ms/);
    });

    test("stream that stalls mid-answer times out", async () => {
      const { model } = await setup([{ reply: { text: "stalling answer" }, stallAfterEvents: 3 }], { timeoutMs: 150, retry: { ...fastRetry, maxRetries: 0 } });
      await expectError(model.generate({ messages: ask }), "timeout");
    });

    test("abort mid-stream: rejects as aborted and the connection closes at once", async () => {
      const { model, server } = await setup([{ reply: { text: "x".repeat(400), chunkSize: 2 }, eventDelayMs: 20 }]);
      const ctrl = new AbortController();
      let abortedAt = 0;
      const p = model.generate({
        messages: ask,
        signal: ctrl.signal,
        onDelta: () => {
          if (!abortedAt) {
            abortedAt = Date.now();
            ctrl.abort();
          }
        },
      });
      await expectError(p, "aborted");
      for (let i = 0; i < 50 && server.requests[0]?.closedAt === undefined; i++) await new Promise((r) => setTimeout(r, 10));
      const req = server.requests[0]!;
      assert.equal(req.clientClosedEarly, true);
      assert.ok(req.closedAt! - abortedAt < 300, `server saw the close ${req.closedAt! - abortedAt}ms after abort`);
      assert.equal(server.requests.length, 1, "an aborted call is not retried");
    });

    test("already-aborted signal makes no request", async () => {
      const { model, server } = await setup([{ reply: {} }]);
      await expectError(model.generate({ messages: ask, signal: AbortSignal.abort() }), "aborted");
      assert.equal(server.requests.length, 0);
    });

    test("n samples", async () => {
      const texts = ["alpha", "beta", "gamma"];
      const steps: StepInput[] = h.nativeN ? [{ reply: { choices: texts } }] : texts.map((text) => ({ reply: { text, usage: { input: 5, output: 2 } } }));
      const { model, server } = await setup(steps);
      const bySample = new Map<number, string>();
      const r = await model.generate({ messages: ask, n: 3, onDelta: (d, s) => bySample.set(s, (bySample.get(s) ?? "") + d) });
      assert.equal(r.samples.length, 3);
      if (h.nativeN) {
        assert.equal(server.requests.length, 1);
        assert.equal(server.requests[0]!.body.n, 3);
        assert.deepEqual(r.samples.map((s) => s.text), texts);
      } else {
        assert.equal(server.requests.length, 3);
        assert.ok(server.requests.every((q) => q.body.n === undefined));
        assert.deepEqual(r.samples.map((s) => s.text).sort(), [...texts].sort());
        assert.deepEqual(r.usage, { inputTokens: 15, outputTokens: 6 });
      }
      r.samples.forEach((s, i) => assert.equal(bySample.get(i), s.text));
    });
  });
}
