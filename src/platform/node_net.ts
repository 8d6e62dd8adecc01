/**
 * Net over node:net: the socket API measured fastest under Deno (docs/decisions/0001-toolchain.md).
 * node:net queues what the kernel does not take and reports it through
 * `write()`'s return value, `writableLength` and the "drain" event.
 */
import * as net from "node:net";
import { IoError } from "../util/errors.ts";
import { ConnEvents } from "./conn_base.ts";
import type { Conn, ConnHandlers, Listener, ListenOptions, Net } from "./types.ts";

class NodeConn implements Conn {
  readonly #events = new ConnEvents();
  readonly remoteAddress: string;
  #ended = false;

  constructor(readonly socket: net.Socket) {
    this.remoteAddress = `${socket.remoteAddress}:${socket.remotePort}`;
    socket.setNoDelay(true);
    socket.on("data", (chunk: Uint8Array) => {
      if (!this.#ended) this.#events.data(chunk);
    });
    socket.on("drain", () => this.#events.drain());
    socket.on("error", (err: Error) => this.#events.close(new IoError(err.message)));
    socket.on("close", () => this.#events.close());
  }

  write(data: Uint8Array): boolean {
    if (this.#events.closed || this.socket.destroyed) return false;
    return this.socket.write(data);
  }

  queuedBytes(): number {
    return this.socket.writableLength;
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  close(): void {
    this.#ended = true;
    this.socket.end();
    // A paused socket never reads its peer's FIN and so never closes (nor frees its
    // descriptor, nor lets its listener close): read on, dropping what arrives.
    this.socket.resume();
  }

  setHandlers(handlers: ConnHandlers): void {
    this.#events.set(handlers);
  }
}

export class NodeNet implements Net {
  listen(options: ListenOptions, onConn: (conn: Conn) => void): Promise<Listener> {
    return new Promise((resolve, reject) => {
      const server = net.createServer((socket) => onConn(new NodeConn(socket)));
      server.once("error", (err: Error) => reject(new IoError(`Cannot listen: ${err.message}`)));
      server.listen(options.port, options.hostname, () => {
        const addr = server.address();
        const port = typeof addr === "object" && addr !== null ? addr.port : options.port;
        resolve({
          port,
          close: () => new Promise<void>((done) => server.close(() => done())),
        });
      });
    });
  }

  connect(hostname: string, port: number): Promise<Conn> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: hostname, port });
      const onError = (err: Error) =>
        reject(new IoError(`Cannot connect to ${hostname}:${port}: ${err.message}`));
      socket.once("error", onError);
      socket.once("connect", () => {
        socket.off("error", onError);
        resolve(new NodeConn(socket));
      });
    });
  }
}
