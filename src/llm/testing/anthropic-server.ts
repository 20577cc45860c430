import { chunks, type ScriptInput } from "./script.js";
import { sseFrame, startScriptedServer, type ScriptedServer, type WireProtocol } from "./scripted-server.js";

const errorTypes: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  403: "permission_error",
  404: "not_found_error",
  429: "rate_limit_error",
  529: "overloaded_error",
};

const stopReason = (finish: "stop" | "length") => (finish === "length" ? "max_tokens" : "end_turn");

/** The Anthropic Messages wire protocol, streaming (named SSE events) and not. */
export const anthropicProtocol: WireProtocol = {
  paths: ["/v1/messages"],
  urlSuffix: "",
  // Anthropic's client skips events without a name, so the broken one is named.
  malformedFrame: sseFrame('{"type":"content_block_delta","index":0,"delta":{"type":"text_del', "content_block_delta"),
  errorBody: (status, message) => ({ type: "error", error: { type: errorTypes[status] ?? (status >= 500 ? "api_error" : "invalid_request_error"), message } }),
  streamEvents(reply, _step, body) {
    const input = reply.usage?.input ?? 10;
    const output = reply.usage?.output ?? Math.ceil(reply.text.length / 4);
    const ev = (type: string, data: Record<string, unknown>) => sseFrame(JSON.stringify({ type, ...data }), type);
    const events = [
      ev("message_start", {
        message: { id: "msg_test", type: "message", role: "assistant", model: body?.model ?? "test", content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: input, output_tokens: 1 } },
      }),
      ev("content_block_start", { index: 0, content_block: { type: "text", text: "" } }),
      ev("ping", {}),
    ];
    for (const piece of chunks(reply.text, reply.chunkSize)) if (piece) events.push(ev("content_block_delta", { index: 0, delta: { type: "text_delta", text: piece } }));
    events.push(ev("content_block_stop", { index: 0 }));
    events.push(ev("message_delta", { delta: { stop_reason: stopReason(reply.finish), stop_sequence: null }, usage: { output_tokens: output } }));
    events.push(ev("message_stop", {}));
    return events;
  },
  jsonBody(reply, _step, body) {
    return {
      id: "msg_test",
      type: "message",
      role: "assistant",
      model: body?.model ?? "test",
      content: [{ type: "text", text: reply.text }],
      stop_reason: stopReason(reply.finish),
      stop_sequence: null,
      usage: { input_tokens: reply.usage?.input ?? 10, output_tokens: reply.usage?.output ?? Math.ceil(reply.text.length / 4) },
    };
  },
};

export function startAnthropicServer(script: ScriptInput, opts?: { port?: number }): Promise<ScriptedServer> {
  return startScriptedServer(anthropicProtocol, script, opts);
}
