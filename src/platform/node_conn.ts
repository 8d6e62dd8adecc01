/**
 * A Conn over a node:net socket (node_net.ts), or a node:tls one (node_tls.ts), which is a
 * net.Socket too. node:net queues what the kernel does not take and reports it through
 * `write()`'s return value, `writableLength` and the "drain" event.
 */
import type * as net from "node:net";
import { IoError } from "../util/errors.ts";
import { ConnEvents } from "./conn_base.ts";
import type { Conn, ConnHandlers } from "./types.ts";

/** A node:net socket, or a node:tls one (node_tls.ts) with its peer's verification. */
export class NodeConn implements Conn {
  readonly #events = new ConnEvents();
  readonly remoteAddress: string;
  #ended = false;

  constructor(
    readonly socket: net.Socket,
    readonly peerCertificateVerified?: boolean,
    readonly peerCertificateNames?: readonly string[],
  ) {
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
