/**
 * HTTPS on both runtimes: a node:tls server (node_tls.ts) hands each connection whose handshake
 * succeeded to a node:http server, whose requests go to the app's fetch handler. Deno.serve
 * and Bun.serve take a certificate only when they start (Bun's `reload` keeps the old one,
 * measured), and the certificate must rotate on SIGHUP without dropping the port; node:tls's
 * `setSecureContext` does that. Plain HTTP keeps Deno.serve / Bun.serve.
 */
import * as http from "node:http";
import { startTlsServer } from "./node_tls.ts";
import type { FetchHandler, HttpServer, ListenOptions, TlsServerConfig } from "./types.ts";

export async function serveHttps(
  fetch: FetchHandler,
  options: ListenOptions,
  tls: TlsServerConfig,
): Promise<HttpServer> {
  const origin = `${options.hostname}:${options.port}`;
  const server = http.createServer((req, res) => void respond(fetch, req, res, origin));
  const listener = await startTlsServer(
    options,
    tls,
    (socket) => server.emit("connection", socket),
    true,
  );
  return {
    port: listener.port,
    close: () => listener.close(),
    setTls: (next) => listener.setTls?.(next),
  };
}

/** The request body as a stream that reads the socket only as fast as the app consumes it. */
function bodyOf(req: http.IncomingMessage): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      req.on("data", (chunk: Uint8Array) => {
        controller.enqueue(new Uint8Array(chunk));
        if ((controller.desiredSize ?? 0) <= 0) req.pause();
      });
      req.on("end", () => controller.close());
      req.on("error", (err: Error) => controller.error(err));
    },
    pull() {
      req.resume();
    },
    cancel() {
      req.destroy();
    },
  });
}

function requestOf(req: http.IncomingMessage, origin: string): Request {
  const headers = new Headers();
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
  }
  const method = req.method ?? "GET";
  const url = `https://${req.headers.host ?? origin}${req.url ?? "/"}`;
  if (method === "GET" || method === "HEAD") return new Request(url, { method, headers });
  // `duplex` (a streamed request body) is in the Fetch standard but not every lib's RequestInit.
  const init = { method, headers, body: bodyOf(req), duplex: "half" };
  return new Request(url, init as RequestInit);
}

async function respond(
  fetch: FetchHandler,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  origin: string,
): Promise<void> {
  try {
    const response = await fetch(requestOf(req, origin));
    const headers: Record<string, string> = {};
    response.headers.forEach((value, name) => headers[name] = value);
    res.writeHead(response.status, response.statusText, headers);
    if (response.body === null || req.method === "HEAD") {
      res.end();
      return;
    }
    const reader = response.body.getReader();
    res.once("close", () => void reader.cancel().catch(() => {}));
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!res.write(value)) await drained(res);
    }
    res.end();
  } catch {
    if (res.headersSent) res.destroy();
    else res.writeHead(500, { "content-type": "text/plain" }).end("internal error\n");
  }
}

/** Resolves when the socket took the queued bytes or the client went away. */
function drained(res: http.ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.once("drain", done);
    res.once("close", done);
  });
}
