/**
 * A connection closed while paused (backpressure toward its peer) is still
 * freed once the peer closes too, and the listener can then close: found by
 * the RESP fuzz test (tests/fuzz/), where a node's shutdown waited forever on
 * a paused connection's socket.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { getPlatform } from "../../src/platform/detect.ts";
import type { Conn } from "../../src/platform/types.ts";

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} not within ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

test("a paused connection that is closed is freed when its peer closes", async () => {
  const net = getPlatform().net;
  let serverConn: Conn | undefined;
  let freed!: () => void;
  const serverClosed = new Promise<void>((r) => freed = r);
  let accepted!: () => void;
  const gotConn = new Promise<void>((r) => accepted = r);
  const listener = await net.listen({ hostname: "127.0.0.1", port: 0 }, (conn) => {
    serverConn = conn;
    conn.setHandlers({ onData: () => {}, onClose: () => freed() });
    conn.pause();
    accepted();
  });
  const client = await net.connect("127.0.0.1", listener.port);
  let clientClosed!: () => void;
  const clientDone = new Promise<void>((r) => clientClosed = r);
  client.setHandlers({ onData: () => {}, onClose: () => clientClosed() });
  await gotConn;
  client.write(new Uint8Array(1000));
  serverConn?.close();
  await within(clientDone, 5000, "the client seeing the close");
  client.close();
  await within(serverClosed, 5000, "the paused server connection closing");
  await within(listener.close(), 5000, "the listener closing");
  assert.ok(true);
});
