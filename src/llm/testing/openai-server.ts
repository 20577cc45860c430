import { chunks, type ScriptInput } from "./script.js";
import { sseFrame, startScriptedServer, type ScriptedServer, type WireProtocol } from "./scripted-server.js";

/** The OpenAI Chat Completions wire protocol, streaming (SSE chunks, `[DONE]`) and not. */
export const openaiProtocol: WireProtocol = {
  paths: ["/v1/chat/completions", "/chat/completions"],
  urlSuffix: "/v1",
  malformedFrame: sseFrame('{"id":"chatcmpl-test","choices":[{"index":0,"delta":{"content":"trunc'),
  errorBody: (status, message) => ({
    error: { message, type: status === 429 ? "rate_limit_exceeded" : status >= 500 ? "server_error" : "invalid_request_error", code: null },
  }),
  streamEvents(reply, step, body) {
    const texts = choiceTexts(reply.text, reply.choices, step.ignoreN ? 1 : (body?.n ?? 1));
    const base = { id: "chatcmpl-test", object: "chat.completion.chunk", created: 0, model: body?.model ?? "test" };
    const frame = (choices: unknown[], extra: Record<string, unknown> = {}) => sseFrame(JSON.stringify({ ...base, choices, ...extra }));
    const events: string[] = [];
    events.push(frame(texts.map((_, index) => ({ index, delta: { role: "assistant", content: "" }, finish_reason: null }))));
    texts.forEach((text, index) => {
      for (const piece of chunks(text, reply.chunkSize)) if (piece) events.push(frame([{ index, delta: { content: piece }, finish_reason: null }]));
    });
    events.push(frame(texts.map((_, index) => ({ index, delta: {}, finish_reason: reply.finish }))));
    if (body?.stream_options?.include_usage) events.push(frame([], { usage: usageOf(reply, texts) }));
    events.push(sseFrame("[DONE]"));
    return events;
  },
  jsonBody(reply, step, body) {
    const texts = choiceTexts(reply.text, reply.choices, step.ignoreN ? 1 : (body?.n ?? 1));
    return {
      id: "chatcmpl-test",
      object: "chat.completion",
      created: 0,
      model: body?.model ?? "test",
      choices: texts.map((content, index) => ({ index, message: { role: "assistant", content }, finish_reason: reply.finish })),
      usage: usageOf(reply, texts),
    };
  },
};

function choiceTexts(text: string, choices: string[] | undefined, n: number): string[] {
  if (choices) return choices.slice(0, Math.max(1, n));
  return Array.from({ length: Math.max(1, n) }, () => text);
}

function usageOf(reply: { usage?: { input: number; output: number } | undefined }, texts: string[]) {
  const prompt_tokens = reply.usage?.input ?? 10;
  const completion_tokens = reply.usage?.output ?? texts.reduce((a, t) => a + Math.ceil(t.length / 4), 0);
  return { prompt_tokens, completion_tokens, total_tokens: prompt_tokens + completion_tokens };
}

export function startOpenAIServer(script: ScriptInput, opts?: { port?: number }): Promise<ScriptedServer> {
  return startScriptedServer(openaiProtocol, script, opts);
}
