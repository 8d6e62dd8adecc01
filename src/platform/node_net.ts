/**
 * Net over node:net: the socket API measured fastest under Deno (docs/decisions/0001-toolchain.md).
 * node:net queues what the kernel does not take and reports it through
 * `write()`'s return value, `writableLength` and the "drain" event.
 */
import * as net from "node:net";
import { IoError } from "../util/errors.ts";
import { NodeConn } from "./node_conn.ts";
import { connectTls, listenTls } from "./node_tls.ts";
import type { Conn, Listener, ListenOptions, Net, TlsClientConfig } from "./types.ts";

export class NodeNet implements Net {
  listen(options: ListenOptions, onConn: (conn: Conn) => void): Promise<Listener> {
    if (options.tls !== undefined) return listenTls(options, options.tls, onConn);
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

  connect(hostname: string, port: number, tls?: TlsClientConfig): Promise<Conn> {
    if (tls !== undefined) return connectTls(hostname, port, tls);
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
