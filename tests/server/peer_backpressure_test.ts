/**
 * The peer transport's per-peer bound holds for a slow peer that stays
 * connected: once its socket stops draining, what waits for it (held by the
 * link plus queued in the socket) stays within the queue limits, the rest is
 * dropped and counted, and everything flows again after the socket drains.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { EntryType, type Message, MessageType } from "../../src/raft/core/messages.ts";
import { getPlatform } from "../../src/platform/detect.ts";
import { PeerTransport } from "../../src/server/peer/peer_transport.ts";
import type { Conn } from "../../src/platform/types.ts";
import { FakeNet, settle } from "./peer_fake_conn.ts";

const KiB = 1024;

function append(index: number, bytes: number): Message {
  const entry = { term: 1, index, type: EntryType.Normal, data: new Uint8Array(bytes).fill(7) };
  return {
    type: MessageType.App,
    from: 1,
    to: 2,
    term: 1,
    index,
    logTerm: 1,
    entries: [entry],
    commit: 0,
  };
}

function heartbeat(): Message {
  const hb = { commit: 0, context: new Uint8Array(0), sentTick: 0 };
  return { type: MessageType.Heartbeat, from: 1, to: 2, term: 1, ...hb };
}

function transportOver(net: FakeNet, limits: { queueBytesMax?: number; queueMsgsMax?: number }) {
  const unreachable: number[] = [];
  const transport = new PeerTransport({
    net,
    clock: getPlatform().clock,
    selfId: 1,
    onUnreachable: (id) => unreachable.push(id),
    ...limits,
  });
  transport.setPeers(new Map([[2, "127.0.0.1:1"]]));
  return { transport, unreachable };
}

test("peer transport: a peer whose socket does not drain gets at most the byte limit", async () => {
  const net = new FakeNet();
  const queueBytesMax = 64 * KiB;
  const { transport, unreachable } = transportOver(net, { queueBytesMax });
  try {
    transport.send([heartbeat()]);
    await settle();
    const conn = net.conns[0];
    assert.equal(conn.delivered.length, 1);
    conn.accepting = false; // the peer stops reading but stays connected
    for (let i = 1; i <= 200; i++) {
      transport.send([append(i, KiB)]);
      if (i % 10 === 0) await settle(1);
      const inSocket = conn.queuedBytes();
      assert.ok(inSocket <= queueBytesMax, `${inSocket} bytes in the socket after ${i} appends`);
    }
    await settle();
    // Held by the link and queued in the socket, together.
    const waiting = transport.pendingBytes(2);
    assert.ok(waiting <= queueBytesMax && waiting > queueBytesMax - 2 * KiB, `${waiting} bytes`);
    assert.ok(conn.writtenBytes <= queueBytesMax + 100, `${conn.writtenBytes} bytes written`);
    assert.ok(transport.counters.droppedQueueFull > 100, `${transport.counters.droppedQueueFull}`);
    assert.ok(unreachable.length > 0 && unreachable.every((id) => id === 2));
    // It drains: what was held goes out, and new messages are accepted again.
    conn.accepting = true;
    conn.drain();
    await settle();
    assert.equal(transport.pendingBytes(2), 0);
    const delivered = conn.delivered.length;
    assert.ok(delivered > 40 && delivered < 80, `${delivered} messages delivered`);
    transport.send([append(201, KiB)]);
    await settle();
    assert.equal(conn.delivered.length, delivered + 1);
  } finally {
    transport.close();
  }
});

test("peer transport: a peer whose socket does not drain gets at most the message limit", async () => {
  const net = new FakeNet();
  const { transport } = transportOver(net, { queueMsgsMax: 100 });
  try {
    transport.send([heartbeat()]);
    await settle();
    const conn = net.conns[0];
    conn.accepting = false;
    transport.send([heartbeat()]); // written, the socket keeps it: from now on the link holds
    await settle();
    for (let turn = 0; turn < 20; turn++) {
      for (let i = 0; i < 50; i++) transport.send([heartbeat()]);
      await settle(1); // each turn's flush finds the socket still blocked: the link holds them
    }
    await settle();
    assert.equal(transport.counters.droppedQueueFull, 900);
    conn.accepting = true;
    conn.drain();
    await settle();
    assert.equal(conn.delivered.length, 1 + 1 + 100);
  } finally {
    transport.close();
  }
});

test("peer transport: a real peer that stops reading holds the link within its byte limit", async () => {
  const platform = getPlatform();
  let received = 0;
  let reader: Conn | undefined;
  const listener = await platform.net.listen({ hostname: "127.0.0.1", port: 0 }, (conn) => {
    reader = conn;
    conn.setHandlers({ onData: (chunk) => received += chunk.length });
  });
  const queueBytesMax = 1024 * KiB;
  const transport = new PeerTransport({
    net: platform.net,
    clock: platform.clock,
    selfId: 1,
    queueBytesMax,
  });
  transport.setPeers(new Map([[2, `127.0.0.1:${listener.port}`]]));
  try {
    transport.send([heartbeat()]);
    for (let i = 0; i < 100 && received === 0; i++) await settle(10);
    reader?.pause(); // the peer stays connected but reads nothing more
    let most = 0;
    for (let i = 1; i <= 1024; i++) {
      transport.send([append(i, 64 * KiB)]); // 64 MiB in all, far beyond socket buffers
      if (i % 16 === 0) await settle(1);
      most = Math.max(most, transport.pendingBytes(2));
    }
    assert.ok(most <= queueBytesMax, `${most} bytes waited for the peer`);
    assert.ok(transport.counters.droppedQueueFull > 0);
    const before = received;
    reader?.resume();
    for (let i = 0; i < 200 && transport.pendingBytes(2) > 0; i++) await settle(10);
    assert.equal(transport.pendingBytes(2), 0, "the link drained once the peer read again");
    assert.ok(received > before);
  } finally {
    transport.close();
    reader?.resume(); // lets the socket finish, so the listener can close
    reader?.close();
    await listener.close();
  }
});
