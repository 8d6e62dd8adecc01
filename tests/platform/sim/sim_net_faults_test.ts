/** SimNet faults: refused and cut connects, cuts and heals, resets, crashes, paused hosts. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { IoError } from "../../../src/util/errors.ts";
import type { Conn } from "../../../src/platform/types.ts";
import { netWorld, record, recordingServer } from "./sim_net_helpers.ts";

const isReset = (error: unknown) => error instanceof IoError;

test("SimNet: connect with no listener is refused after one delay", async () => {
  const world = netWorld(21, { delayMinMs: 3, delayMaxMs: 9 });
  await assert.rejects(world.drive(world.net.host("a").connect("b", 7000)), IoError);
  assert.ok(world.clock.nowMs() >= 3 && world.clock.nowMs() <= 9, `at ${world.clock.nowMs()}`);
  assert.equal(world.net.stats.refused, 1);
  assert.match(world.trace.text(), /tcp refuse a>b:7000/);
});

test("SimNet: connect across a cut link, either way, times out", async () => {
  const world = netWorld(22, { connectTimeoutMs: 700 });
  await recordingServer(world, "b");
  world.net.cut("b", "a"); // the SYN gets through; the SYN-ACK cannot
  await assert.rejects(world.drive(world.net.host("a").connect("b", 7000)), IoError);
  assert.equal(world.clock.nowMs(), 700);
  world.net.heal();
  world.net.cut("a", "b");
  await assert.rejects(world.drive(world.net.host("a").connect("b", 7000)), IoError);
  assert.equal(world.net.stats.timeouts, 2);
  world.net.heal();
  await world.drive(world.net.host("a").connect("b", 7000));
  assert.equal(world.net.stats.connects, 1);
});

test("SimNet: bytes wait at a cut; a cut that lasts resets the connection", async () => {
  const world = netWorld(23, { cutResetMinMs: 300, cutResetMaxMs: 400 });
  const servers = await recordingServer(world, "b");
  const client = record(await world.drive(world.net.host("a").connect("b", 7000)));
  await world.run(10);
  world.net.cut("a", "b");
  client.conn.write(new Uint8Array(10));
  await world.run(299);
  assert.equal(servers[0].chunks.length, 0, "nothing crosses the cut");
  assert.deepEqual(client.closes, []);
  await world.run(101);
  assert.equal(servers[0].chunks.length, 0);
  assert.ok(isReset(client.closes[0]), "client reset");
  assert.ok(isReset(servers[0].closes[0]), "server reset");
  assert.equal(world.net.stats.resets, 1);
  assert.equal(world.net.connectionCount(), 0);
});

test("SimNet: a cut healed in time delivers the waiting bytes, in order, once", async () => {
  const world = netWorld(24, { cutResetMinMs: 300, cutResetMaxMs: 400 });
  const servers = await recordingServer(world, "b");
  const client = record(await world.drive(world.net.host("a").connect("b", 7000)));
  await world.run(10);
  client.conn.write(new Uint8Array([1, 2]));
  world.net.partition([["a"], ["b"]]);
  client.conn.write(new Uint8Array([3]));
  await world.run(200);
  assert.equal(servers[0].bytes().length, 0);
  world.net.heal();
  client.conn.write(new Uint8Array([4]));
  await world.run(1000);
  assert.deepEqual([...servers[0].bytes()], [1, 2, 3, 4]);
  assert.deepEqual(client.closes, [], "no reset after the heal");
  world.net.cut("a", "b"); // a new cut gets its own reset timer
  await world.run(400);
  assert.equal(client.closes.length, 1);
});

test("SimNet: reset(a, b) resets every connection between the two hosts", async () => {
  const world = netWorld(25);
  const servers = await recordingServer(world, "b");
  await recordingServer(world, "c");
  const a = world.net.host("a");
  const conns = await world.drive(
    Promise.all([a.connect("b", 7000), a.connect("b", 7000), a.connect("c", 7000)]),
  );
  const clients = conns.map(record);
  assert.equal(world.net.reset("b", "a"), 2);
  await world.run(10);
  assert.ok(isReset(clients[0].closes[0]) && isReset(clients[1].closes[0]));
  assert.deepEqual(clients[2].closes, []);
  assert.ok(servers.every((s) => s.closes.length === 1 && isReset(s.closes[0])));
  assert.equal(clients[0].conn.write(new Uint8Array(1)), false);
  assert.equal(world.net.reset("a", "b"), 0);
});

test("SimNet: a crash resets the other ends, closes listeners, silences the dead", async () => {
  const world = netWorld(26);
  let bAccepted = 0;
  const bServer: Conn[] = [];
  await world.net.host("b").listen({ hostname: "b", port: 7000 }, (c) => {
    bAccepted++;
    bServer.push(c);
  });
  const client = record(await world.drive(world.net.host("a").connect("b", 7000)));
  await world.run(10);
  const dead = record(bServer[0]);
  dead.conn.write(new Uint8Array([9])); // in flight when b dies: never delivered
  const oldB = world.net.host("b");
  world.net.crash("b");
  client.conn.write(new Uint8Array([1]));
  await world.run(100);
  assert.equal(client.chunks.length, 0);
  assert.equal(client.closes.length, 1);
  assert.ok(isReset(client.closes[0]));
  assert.deepEqual(dead.closes, [], "the dead process runs nothing");
  assert.deepEqual(dead.chunks, []);
  await assert.rejects(world.drive(world.net.host("a").connect("b", 7000)), IoError);
  let settled = false;
  oldB.connect("a", 1).finally(() => settled = true);
  await world.run(5000);
  assert.equal(settled, false, "the dead process's calls never settle");
  await world.net.host("b").listen({ hostname: "b", port: 7000 }, () => bAccepted++);
  await world.drive(world.net.host("a").connect("b", 7000));
  await world.run(10);
  assert.equal(bAccepted, 2, "the restarted process accepts again");
});

test("SimNet: a paused host reads, accepts and sends nothing until resumed", async () => {
  const world = netWorld(27, { windowBytes: 100 });
  const servers = await recordingServer(world, "b");
  const first = record(await world.drive(world.net.host("a").connect("b", 7000)));
  await world.run(10);
  world.net.pause("b");
  servers[0].conn.write(new Uint8Array([5])); // a stopped process's write: held
  assert.equal(first.conn.write(new Uint8Array(60)), true);
  assert.equal(first.conn.write(new Uint8Array(60)), false, "window fills at the paused host");
  const second = await world.drive(world.net.host("a").connect("b", 7000));
  await world.run(500);
  assert.equal(servers.length, 1, "the kernel completed the handshake; the process did not accept");
  assert.deepEqual(servers[0].chunks, []);
  assert.deepEqual(first.chunks, []);
  assert.equal(first.conn.queuedBytes(), 20);
  world.net.resume("b");
  second.write(new Uint8Array([8]));
  await world.run(100);
  assert.equal(servers.length, 2);
  assert.equal(servers[0].bytes().length, 120);
  assert.deepEqual([...servers[1].bytes()], [8]);
  assert.deepEqual([...first.bytes()], [5]);
  assert.equal(first.drains, 1);
  assert.match(world.trace.text(), /tcp pause b\n[\s\S]*tcp resume b/);
});

test("SimNet: a paused process hears its connect's outcome only when resumed", async () => {
  const world = netWorld(28, { delayMinMs: 5, delayMaxMs: 5 });
  let outcome = "none";
  world.net.host("a").connect("b", 7000).catch((e: Error) => outcome = e.name);
  world.net.pause("a");
  await world.run(100);
  assert.equal(outcome, "none");
  world.net.resume("a");
  await world.run(1);
  assert.equal(outcome, "IoError");
});

test("SimNet: closing a listener before its paused process accepts resets the connection", async () => {
  const world = netWorld(29);
  let accepted = 0;
  const listener = await world.net.host("b").listen({ hostname: "b", port: 7000 }, () => {
    accepted++;
  });
  world.net.pause("b");
  const client = record(await world.drive(world.net.host("a").connect("b", 7000)));
  await listener.close();
  world.net.resume("b");
  await world.run(100);
  assert.equal(accepted, 0);
  assert.ok(isReset(client.closes[0]));
  assert.match(world.trace.text(), /reset a:\d+>b:7000 \(listener closed\)/);
});

test("SimNet: a connection reset while its host is paused reports the reset on resume", async () => {
  const world = netWorld(29);
  const servers = await recordingServer(world, "b");
  const client = record(await world.drive(world.net.host("a").connect("b", 7000)));
  await world.run(10);
  world.net.pause("b");
  assert.equal(world.net.reset("a", "b"), 1);
  await world.run(100);
  assert.ok(isReset(client.closes[0]), "the running end hears the reset at once");
  assert.deepEqual(servers[0].closes, [], "a stopped process hears nothing");
  world.net.resume("b");
  await world.run(10);
  assert.equal(servers[0].closes.length, 1, "the resumed process hears the reset");
  assert.ok(isReset(servers[0].closes[0]));
});
