/**
 * Net over Bun.listen / Bun.connect, measured fastest under Bun (docs/decisions/0001-toolchain.md).
 * Bun's `socket.write` may take only part of the buffer and returns how much;
 * the rest is queued here and flushed from the `drain` handler.
 */
import { IoError } from "../util/errors.ts";
import { bunApi, type BunSocket as Socket, type BunSocketHandler } from "./bun_api.ts";
import { ConnEvents } from "./conn_base.ts";
import { connectTls, listenTls } from "./node_tls.ts";
import type { Conn, ConnHandlers, Listener, ListenOptions, Net, TlsClientConfig } from "./types.ts";

type BunSocket = Socket<BunConn | undefined>;

class BunConn implements Conn {
  readonly events = new ConnEvents();
  readonly #queue: Uint8Array[] = [];
  #queuedBytes = 0;
  #closing = false;

  constructor(readonly socket: BunSocket, readonly remoteAddress: string) {}

  write(data: Uint8Array): boolean {
    if (this.events.closed) return false;
    if (this.#queue.length > 0) {
      this.#enqueue(data);
      return false;
    }
    const n = this.socket.write(data);
    if (n < data.length) {
      // A view, not a copy: the caller hands `data` over (a backlog queues it as it is too),
      // and a large reply's unsent rest was another copy of the value (docs/limits.md).
      this.#enqueue(data.subarray(Math.max(0, n)));
      return false;
    }
    return true;
  }

  #enqueue(data: Uint8Array): void {
    this.#queue.push(data);
    this.#queuedBytes += data.length;
  }

  /** Called from Bun's drain handler. */
  flush(): void {
    while (this.#queue.length > 0) {
      const head = this.#queue[0];
      const n = this.socket.write(head);
      if (n < head.length) {
        this.#queue[0] = head.subarray(Math.max(0, n));
        this.#queuedBytes -= Math.max(0, n);
        return;
      }
      this.#queue.shift();
      this.#queuedBytes -= head.length;
    }
    if (this.#closing) this.socket.end();
    else this.events.drain();
  }

  queuedBytes(): number {
    return this.#queuedBytes;
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  close(): void {
    this.#closing = true;
    if (this.#queue.length === 0) this.socket.end();
  }

  setHandlers(handlers: ConnHandlers): void {
    this.events.set(handlers);
  }
}

/** Socket callbacks; chunks arrive as Buffer, a Uint8Array subclass. */
function handlers(onOpen: (socket: BunSocket) => void): BunSocketHandler<BunConn | undefined> {
  return {
    open: onOpen,
    data: (s, chunk) => s.data?.events.data(chunk),
    drain: (s) => s.data?.flush(),
    close: (s, err) => s.data?.events.close(err ? new IoError(err.message) : undefined),
    error: (s, err) => s.data?.events.close(new IoError(err.message)),
  };
}

export class BunNet implements Net {
  listen(options: ListenOptions, onConn: (conn: Conn) => void): Promise<Listener> {
    // TLS over node:tls: Bun's own TLS listener cannot rotate its certificate (node_tls.ts).
    if (options.tls !== undefined) return listenTls(options, options.tls, onConn);
    try {
      const listener = bunApi().listen<BunConn | undefined>({
        hostname: options.hostname,
        port: options.port,
        socket: handlers((s) => {
          s.setNoDelay(true);
          // "ip:port", as the node:net adapter reports it (CLIENT LIST addr).
          const port = s.remotePort === undefined ? "" : `:${s.remotePort}`;
          const conn = new BunConn(s, `${s.remoteAddress}${port}`);
          s.data = conn;
          onConn(conn);
        }),
      });
      return Promise.resolve({
        port: listener.port,
        close: () => {
          listener.stop(true);
          return Promise.resolve();
        },
      });
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      return Promise.reject(
        new IoError(`Cannot listen on ${options.hostname}:${options.port}: ${msg}`),
      );
    }
  }

  async connect(hostname: string, port: number, tls?: TlsClientConfig): Promise<Conn> {
    if (tls !== undefined) return await connectTls(hostname, port, tls);
    try {
      const socket = await bunApi().connect<BunConn | undefined>({
        hostname,
        port,
        // Create the Conn in `open` so no early chunk finds the socket without one.
        socket: handlers((s) => {
          s.setNoDelay(true);
          s.data = new BunConn(s, `${hostname}:${port}`);
        }),
      });
      const conn = socket.data;
      if (conn === undefined) throw new Error("socket opened without a connection object");
      return conn;
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      throw new IoError(`Cannot connect to ${hostname}:${port}: ${msg}`);
    }
  }
}
