/** SimNet as a byte stream: order, exactly-once, chunking, flow control, close, ports. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { IoError } from "../../../src/util/errors.ts";
import { concat, netWorld, record, recordingServer } from "./sim_net_helpers.ts";

/** Offsets where chunks end: equal sets mean the write boundaries were kept. */
function boundaries(chunks: readonly Uint8Array[]): string {
  let offset = 0;
  return chunks.map((c) => offset += c.length).join(",");
}

test("SimNet: bytes of a connection arrive in order and exactly once, in other chunks", async () => {
  const world = netWorld(11, { delayMinMs: 1, delayMaxMs: 40 });
  const servers = await recordingServer(world, "b");
  const net = world.net.host("a");
  const clients = await world.drive(Promise.all([0, 1, 2, 3].map(() => net.connect("b", 7000))));
  // Each stream starts with its client's index, so a server end can tell whose it is.
  const written = clients.map((_, k) => [new Uint8Array([k])]);
  clients.forEach((c, k) => c.write(new Uint8Array([k])));
  const scratch = new Uint8Array(300); // reused by every write: the net must copy
  for (let i = 0; i < 400; i++) {
    const k = world.prng.int(clients.length);
    const data = world.prng.fill(scratch.subarray(0, world.prng.range(1, 300)));
    written[k].push(data.slice());
    assert.equal(clients[k].write(data), true, "well within the window");
    if (world.prng.chance(0.3)) await world.run(world.prng.range(0, 5));
  }
  await world.run(1000);
  assert.equal(servers.length, 4);
  let rechunked = 0;
  for (const server of servers) {
    const got = server.bytes();
    const want = written[got[0]];
    assert.deepEqual(got, concat(want), `stream ${got[0]} arrived intact`);
    if (boundaries(server.chunks) !== boundaries(want)) rechunked++;
  }
  assert.equal(rechunked, 4, "no stream kept its write boundaries");
  assert.equal(world.net.stats.bytes, written.reduce((n, w) => n + concat(w).length, 0));
  assert.equal(world.net.stats.bytesWritten, world.net.stats.bytes);
});

test("SimNet: different connections reorder freely", async () => {
  const world = netWorld(12, { delayMinMs: 1, delayMaxMs: 30 });
  const arrivals: string[] = [];
  await world.net.host("b").listen({ hostname: "b", port: 7000 }, (c) => {
    c.setHandlers({ onData: (chunk) => chunk.forEach((byte) => arrivals.push(String(byte))) });
  });
  const net = world.net.host("a");
  const [first, second] = await world.drive(
    Promise.all([net.connect("b", 7000), net.connect("b", 7000)]),
  );
  let overtaken = 0;
  for (let i = 0; i < 50; i++) {
    arrivals.length = 0;
    first.write(new Uint8Array([1]));
    second.write(new Uint8Array([2]));
    await world.run(100);
    assert.equal(arrivals.length, 2);
    if (arrivals[0] === "2") overtaken++;
  }
  assert.ok(overtaken > 5 && overtaken < 45, `second overtook first ${overtaken} times of 50`);
});

test("SimNet: write returns false at the window; queuedBytes and onDrain follow", async () => {
  const world = netWorld(13, { windowBytes: 1000 });
  const servers = await recordingServer(world, "b");
  const client = record(await world.drive(world.net.host("a").connect("b", 7000)));
  await world.run(20);
  const server = servers[0];
  server.conn.pause();
  assert.equal(client.conn.write(new Uint8Array(600).fill(1)), true);
  assert.equal(client.conn.write(new Uint8Array(600).fill(2)), false, "1200 > 1000");
  assert.equal(client.conn.queuedBytes(), 1200);
  await world.run(100);
  assert.equal(server.chunks.length, 0, "a paused conn gets no onData");
  assert.equal(client.conn.queuedBytes(), 200, "the receiver holds a full window");
  assert.equal(client.drains, 0);
  assert.equal(client.conn.write(new Uint8Array(50).fill(3)), false, "still full");
  server.conn.resume();
  await world.run(100);
  assert.equal(client.drains, 1, "drained once");
  assert.equal(client.conn.queuedBytes(), 0);
  const got = server.bytes();
  assert.equal(got.length, 1250);
  assert.deepEqual([got[0], got[599], got[600], got[1199], got[1200]], [1, 1, 2, 2, 3]);
});

test("SimNet: close delivers what was written, then both ends report onClose()", async () => {
  const world = netWorld(14);
  const servers = await recordingServer(world, "b");
  const client = record(await world.drive(world.net.host("a").connect("b", 7000)));
  for (let i = 0; i < 10; i++) client.conn.write(new Uint8Array(100).fill(i));
  client.conn.close();
  assert.equal(client.conn.write(new Uint8Array(1)), false, "no writes after close");
  await world.run(100);
  const server = servers[0];
  assert.equal(server.bytes().length, 1000);
  assert.deepEqual(server.closes, [undefined]);
  assert.deepEqual(client.closes, [undefined], "the closer hears the peer's FIN");
  assert.equal(server.conn.write(new Uint8Array(1)), false);
  assert.equal(world.net.connectionCount(), 0);
  assert.match(world.trace.text(), /tcp close a:\d+>b:7000/);
});

test("SimNet: the peer's bytes written before it saw our close still arrive", async () => {
  const world = netWorld(15, { delayMinMs: 10, delayMaxMs: 10 });
  const servers = await recordingServer(world, "b");
  const client = record(await world.drive(world.net.host("a").connect("b", 7000)));
  await world.run(1);
  servers[0].conn.write(new Uint8Array([7, 7, 7]));
  client.conn.close();
  await world.run(100);
  assert.deepEqual([...client.bytes()], [7, 7, 7]);
  assert.deepEqual(client.closes, [undefined]);
});

test("SimNet: ports: 0 picks distinct deterministic ports; a taken port fails", async () => {
  const world = netWorld(16);
  const net = world.net.host("a");
  const first = await net.listen({ hostname: "a", port: 0 }, () => {});
  const second = await net.listen({ hostname: "0.0.0.0", port: 0 }, () => {});
  assert.deepEqual([first.port, second.port], [20000, 20001]);
  await assert.rejects(net.listen({ hostname: "a", port: first.port }, () => {}), IoError);
  await assert.rejects(net.listen({ hostname: "b", port: 9 }, () => {}), IoError, "not ours");
  await world.net.host("b").listen({ hostname: "b", port: first.port }, () => {});
  await first.close();
  await net.listen({ hostname: "a", port: first.port }, () => {});
});

test("SimNet: loopback names reach the host's own listeners", async () => {
  const world = netWorld(17);
  const servers = await recordingServer(world, "a");
  const conn = await world.drive(world.net.host("a").connect("127.0.0.1", 7000));
  assert.equal(conn.remoteAddress, "127.0.0.1:7000");
  await world.run(10);
  assert.equal(servers.length, 1);
  assert.match(servers[0].conn.remoteAddress, /^a:\d+$/);
});

test("SimNet: a chunk is overwritten after onData returns, unless scribbleReads is off", async () => {
  for (const scribbleReads of [true, false]) {
    const world = netWorld(18, { scribbleReads, rechunk: false });
    const kept: Uint8Array[] = [];
    await world.net.host("b").listen({ hostname: "b", port: 7000 }, (c) => {
      c.setHandlers({ onData: (chunk) => void kept.push(chunk) }); // keeps the view: a bug
    });
    const client = await world.drive(world.net.host("a").connect("b", 7000));
    client.write(new Uint8Array([1, 2, 3]));
    await world.run(100);
    assert.deepEqual([...kept[0]], scribbleReads ? [0xee, 0xee, 0xee] : [1, 2, 3]);
  }
});

test("SimNet: changing a buffer whose bytes are still queued fails the run", async () => {
  const world = netWorld(19, { windowBytes: 100 });
  const servers = await recordingServer(world, "b");
  const client = await world.drive(world.net.host("a").connect("b", 7000));
  await world.run(10);
  servers[0].conn.pause();
  const buffer = new Uint8Array(300).fill(1);
  assert.equal(client.write(buffer), false);
  buffer.fill(2, 0, 150); // the first 100 bytes went out at once; 100..150 were still queued
  servers[0].conn.resume();
  await assert.rejects(world.run(100), /changed before it was sent/);
});
