import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { parseScript, type Reply, type ScriptInput, type Step } from "./script.js";

/** A request as the server saw it. */
export interface RecordedRequest {
  index: number;
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: any;
  receivedAt: number;
  /** When the connection closed; set for every request that has ended. */
  closedAt?: number;
  /** True when the client went away before the server finished its response. */
  clientClosedEarly?: boolean;
}

export interface ScriptedServer {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/** What makes a protocol: where it listens and how a step is rendered on the wire. */
export interface WireProtocol {
  /** Paths answered (others get 404). */
  paths: string[];
  /** Suffix appended to the origin in `url` (e.g. "/v1" for OpenAI clients). */
  urlSuffix: string;
  errorBody(status: number, message: string): unknown;
  /** SSE frames (each a complete "event:/data:" block ending in a blank line). */
  streamEvents(reply: Reply, step: Step, body: any): string[];
  /** An event whose data is not JSON, shaped so the protocol's client will try to parse it. */
  malformedFrame: string;
  /** The non-streamed JSON body. */
  jsonBody(reply: Reply, step: Step, body: any): unknown;
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function sseFrame(data: string, event?: string): string {
  return `${event ? `event: ${event}\n` : ""}data: ${data}\n\n`;
}

/** Starts a server on 127.0.0.1 at a random port that answers requests by following `script`. */
export async function startScriptedServer(protocol: WireProtocol, input: ScriptInput, opts: { port?: number } = {}): Promise<ScriptedServer> {
  const script = parseScript(input);
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    void handle(req, res).catch((err) => {
      if (!res.headersSent) res.writeHead(500).end(String(err));
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const index = requests.length;
    let body: any = raw;
    try {
      body = raw ? JSON.parse(raw) : null;
    } catch {
      // Kept as text; the client under test sent something that is not JSON.
    }
    const rec: RecordedRequest = { index, method: req.method ?? "", path: req.url ?? "", headers: req.headers, body, receivedAt: Date.now() };
    requests.push(rec);
    res.on("close", () => {
      rec.closedAt = Date.now();
      if (!res.writableFinished) rec.clientClosedEarly = true;
    });
    const path = (req.url ?? "").split("?")[0] ?? "";
    if (req.method !== "POST" || !protocol.paths.includes(path)) {
      return void sendJson(res, 404, protocol.errorBody(404, `no route ${req.method} ${path}`));
    }
    const step = script.steps[index] ?? (script.repeatLast ? script.steps[script.steps.length - 1] : undefined);
    if (!step) {
      return void sendJson(res, 400, protocol.errorBody(400, `scripted server: no step for request #${index + 1} (script has ${script.steps.length})`));
    }
    if (step.delayMs) await wait(step.delayMs);
    if (step.hang) return; // never answered; close() ends it
    if (step.status >= 300) {
      return void sendJson(res, step.status, protocol.errorBody(step.status, step.error ?? `scripted status ${step.status}`), step.headers);
    }
    const reply = step.reply ?? { text: "ok", finish: "stop", chunkSize: 4 };
    if (!body?.stream) return void sendJson(res, step.status, protocol.jsonBody(reply, step, body), step.headers);

    res.writeHead(step.status, { "content-type": "text/event-stream", "cache-control": "no-cache", ...step.headers });
    res.flushHeaders();
    const events = protocol.streamEvents(reply, step, body);
    for (let i = 0; i <= events.length; i++) {
      if (res.destroyed) return;
      if (i === step.dropAfterEvents) {
        // Let what was written reach the client first, then cut the connection.
        await wait(20);
        res.socket?.destroy();
        return;
      }
      if (i === step.endAfterEvents) return void res.end();
      if (i === step.malformedAfterEvents) return void res.end(protocol.malformedFrame);
      if (i === step.stallAfterEvents) return;
      if (i === events.length) break;
      if (step.eventDelayMs && i > 0) await wait(step.eventDelayMs);
      if (res.destroyed) return;
      res.write(events[i]);
    }
    res.end();
  }

  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${protocol.urlSuffix}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on("data", (c: Buffer) => parts.push(c));
    req.on("end", () => resolve(Buffer.concat(parts).toString("utf8")));
    req.on("error", reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}
