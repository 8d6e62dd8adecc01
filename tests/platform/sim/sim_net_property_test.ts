/**
 * SimNet under random traffic and faults: whatever happens, each direction
 * of a connection delivers a prefix of what was written, in order, with no
 * byte twice; and every connection that was not reset (it closed cleanly, or
 * stayed open and was left to drain) delivered all of it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { SimEnd } from "../../../src/platform/sim/sim_conn.ts";
import type { Conn } from "../../../src/platform/types.ts";
import { concat, type NetWorld, netWorld } from "./sim_net_helpers.ts";

const HOSTS = ["h1", "h2", "h3"];

interface EndLog {
  readonly conn: SimEnd;
  readonly written: Uint8Array[];
  readonly received: Uint8Array[];
  /** Closed with an error, or its process crashed. */
  error: boolean;
  closed: boolean;
}

function track(logs: EndLog[], conn: Conn): void {
  assert.ok(conn instanceof SimEnd);
  const log: EndLog = { conn, written: [], received: [], error: false, closed: false };
  logs.push(log);
  conn.setHandlers({
    onData: (chunk) => void log.received.push(chunk.slice()),
    onClose: (error) => {
      assert.equal(log.closed, false, "onClose once");
      log.closed = true;
      log.error = error !== undefined;
    },
  });
}

/** One random step: traffic, flow control, or a fault. */
function step(world: NetWorld, logs: EndLog[]): void {
  const { prng, net } = world;
  const log = logs[prng.int(logs.length + 1)];
  const host = HOSTS[prng.int(HOSTS.length)], other = HOSTS[prng.int(HOSTS.length)];
  const roll = prng.int(100);
  if (log === undefined || roll < 5) {
    net.host(host).connect(other, 7000).then((c) => track(logs, c), () => {});
  } else if (roll < 60) {
    const data = prng.fill(new Uint8Array(prng.range(1, 3000)));
    const before = net.stats.bytesWritten; // write() is false both when queued and refused
    log.conn.write(data);
    if (net.stats.bytesWritten > before) log.written.push(data);
  } else if (roll < 70) log.conn.pause();
  else if (roll < 80) log.conn.resume();
  else if (roll < 83) log.conn.close();
  else if (roll < 87) net.pause(host);
  else if (roll < 92) net.resume(host);
  else if (roll < 95 && host !== other) net.cut(host, other);
  else if (roll < 98) net.heal();
  else if (roll < 99) net.reset(host, other);
  else {
    net.crash(host);
    for (const l of logs) if (l.conn.host.name === host && !l.closed) l.error = true; // silenced
    void listen(world, logs, host); // the restarted process
  }
}

function listen(world: NetWorld, logs: EndLog[], host: string): Promise<unknown> {
  return world.net.host(host).listen({ hostname: host, port: 7000 }, (c) => track(logs, c));
}

async function runScenario(seed: number): Promise<void> {
  const world = netWorld(seed, { windowBytes: 8 * 1024, delayMaxMs: 15, cutResetMinMs: 50 });
  const logs: EndLog[] = [];
  for (const host of HOSTS) await listen(world, logs, host);
  for (let i = 0; i < 1000; i++) {
    step(world, logs);
    await world.run(world.prng.range(0, 8));
  }
  world.net.heal();
  for (const host of HOSTS) world.net.resume(host);
  for (const log of logs) log.conn.resume();
  await world.run(60_000);
  checkStreams(logs);
  const { stats } = world.net;
  assert.ok(
    stats.connects > 20 && stats.resets > 5 && stats.bytes > 100_000,
    JSON.stringify(stats),
  );
}

function checkStreams(logs: readonly EndLog[]): void {
  for (const sender of logs) {
    const peer = logs.find((l) => l.conn.connection === sender.conn.connection && l !== sender);
    if (peer === undefined) continue; // the server end was never accepted
    const sent = concat(sender.written), got = concat(peer.received);
    const id = `${sender.conn.connection.id} from ${sender.conn.host.name}`;
    assert.ok(got.length <= sent.length, `${id}: no extra bytes`);
    assert.deepEqual(got, sent.subarray(0, got.length), `${id}: a prefix, in order`);
    if (!sender.error && !peer.error) assert.equal(got.length, sent.length, `${id}: all of it`);
  }
}

for (const seed of [41, 42, 43, 44]) {
  test(`SimNet: random traffic and faults keep every stream an ordered prefix (seed ${seed})`, () =>
    runScenario(seed));
}
