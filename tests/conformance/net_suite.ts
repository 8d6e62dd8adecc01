/**
 * One behaviour contract for every Net adapter: ordered bytes, many frames
 * in flight, backpressure (a write the kernel cannot take is queued and
 * flushed on drain), and typed connect errors.
 *
 * A simulated network makes progress only while virtual time runs, so every
 * wait on the network goes through `drive`: identity for real sockets, "run
 * the simulation until this promise settles" for the simulator.
 */
import { ANNOUNCED_BUFFER_START_BYTES, FRAME_BYTES_MAX } from "../../src/limits.ts";
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Conn, Net } from "../../src/platform/types.ts";
import { encodeFrame, FrameDecoder } from "../../src/util/frame.ts";
import { IoError } from "../../src/util/errors.ts";

function collect(conn: Conn, want: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const out = new Uint8Array(want);
    let got = 0;
    conn.setHandlers({
      onData(chunk) {
        out.set(chunk.subarray(0, Math.min(chunk.length, want - got)), got);
        got += chunk.length;
        if (got >= want) resolve(out);
      },
      onClose: (err) => got < want && reject(err ?? new Error(`closed after ${got} bytes`)),
    });
  });
}

/** Waits for a promise that only network progress can settle. */
export type Drive = <T>(promise: Promise<T>) => Promise<T>;

const realTime: Drive = (promise) => promise;

export function runNetSuite(name: string, net: Net, drive: Drive = realTime): void {
  test(`${name}: echo server returns 64 pipelined frames in order`, async () => {
    const listener = await net.listen({ hostname: "127.0.0.1", port: 0 }, (conn) => {
      const dec = new FrameDecoder(FRAME_BYTES_MAX, ANNOUNCED_BUFFER_START_BYTES);
      conn.setHandlers({ onData: (c) => dec.push(c).forEach((f) => conn.write(encodeFrame(f))) });
    });
    assert.ok(listener.port > 0, "listener reports the real port");
    const client = await drive(net.connect("127.0.0.1", listener.port));
    const frames: Uint8Array[] = [];
    const dec = new FrameDecoder(FRAME_BYTES_MAX, ANNOUNCED_BUFFER_START_BYTES);
    const done = new Promise<void>((resolve) =>
      client.setHandlers({
        onData(chunk) {
          frames.push(...dec.push(chunk));
          if (frames.length === 64) resolve();
        },
      })
    );
    for (let i = 0; i < 64; i++) client.write(encodeFrame(new Uint8Array([i, i, i])));
    await drive(done);
    assert.deepEqual(frames.map((f) => f[0]), [...Array(64).keys()]);
    client.close();
    await listener.close();
  });

  test(`${name}: 32 MiB write to a slow reader queues, drains, arrives intact`, async () => {
    const total = 32 * 1024 * 1024;
    let accept: (c: Conn) => void = () => {};
    const accepted = new Promise<Conn>((resolve) => accept = resolve);
    const listener = await net.listen({ hostname: "127.0.0.1", port: 0 }, (c) => accept(c));
    const client = await drive(net.connect("127.0.0.1", listener.port));
    const server = await drive(accepted);
    server.pause();
    const data = new Uint8Array(total);
    for (let i = 0; i < total; i += 4096) data[i] = (i / 4096) & 0xff;
    let drained = false;
    client.setHandlers({ onData: () => {}, onDrain: () => void (drained = true) });
    const accepted1 = client.write(data);
    assert.equal(accepted1, false, "the kernel cannot take 32 MiB at once");
    assert.ok(client.queuedBytes() > 0, "bytes are queued");
    const received = collect(server, total);
    server.resume();
    const got = await drive(received);
    assert.equal(got.length, total);
    for (let i = 0; i < total; i += 4096) assert.equal(got[i], (i / 4096) & 0xff);
    assert.ok(drained, "onDrain fired after the queue emptied");
    assert.equal(client.queuedBytes(), 0);
    client.close();
    server.close();
    await listener.close();
  });

  test(`${name}: connect to a closed port rejects with IoError`, async () => {
    const listener = await net.listen({ hostname: "127.0.0.1", port: 0 }, (c) => c.close());
    const port = listener.port;
    await listener.close();
    await assert.rejects(drive(net.connect("127.0.0.1", port)), IoError);
  });

  test(`${name}: listening on a port in use rejects with IoError`, async () => {
    const listener = await net.listen({ hostname: "127.0.0.1", port: 0 }, (c) => c.close());
    await assert.rejects(
      net.listen({ hostname: "127.0.0.1", port: listener.port }, (c) => c.close()),
      IoError,
    );
    await listener.close();
  });

  test(`${name}: peer close is reported once`, async () => {
    const listener = await net.listen({ hostname: "127.0.0.1", port: 0 }, (c) => {
      c.setHandlers({ onData: () => {} });
      c.close();
    });
    const client = await drive(net.connect("127.0.0.1", listener.port));
    let closes = 0;
    await drive(
      new Promise<void>((resolve) =>
        client.setHandlers({
          onData: () => {},
          onClose: () => {
            closes++;
            resolve();
          },
        })
      ),
    );
    assert.equal(closes, 1);
    await listener.close();
  });
}
