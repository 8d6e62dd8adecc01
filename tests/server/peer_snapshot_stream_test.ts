/**
 * A streamed snapshot stops at its first dropped chunk and is reported failed
 * once: the receiver refuses every chunk after a gap, so the rest of the
 * stream — and above all a last chunk reported as success — would be a lie.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { EMPTY_CONF_STATE, type Message, MessageType } from "../../src/raft/core/messages.ts";
import { getPlatform } from "../../src/platform/detect.ts";
import { PeerTransport } from "../../src/server/peer/peer_transport.ts";
import { FakeNet, settle } from "./peer_fake_conn.ts";
import type { Clock } from "../../src/platform/types.ts";

const SNAP: Message = {
  type: MessageType.Snap,
  from: 1,
  to: 2,
  term: 3,
  snapshot: {
    metadata: { index: 9, term: 3, confState: EMPTY_CONF_STATE },
    data: new Uint8Array(1),
  },
};

const HEARTBEAT: Message = {
  type: MessageType.Heartbeat,
  from: 1,
  to: 2,
  term: 3,
  commit: 0,
  context: new Uint8Array(0),
  sentTick: 0,
};

/** Three pieces (one chunk each); the third waits for `release`. */
function gatedSource() {
  let release = () => {};
  const gate = new Promise<void>((resolve) => release = resolve);
  const state = { closed: false, release: () => release() };
  async function* pieces(): AsyncGenerator<Uint8Array> {
    try {
      yield new Uint8Array(100).fill(1);
      yield new Uint8Array(100).fill(2);
      await gate;
      yield new Uint8Array(100).fill(3);
    } finally {
      state.closed = true; // the engine snapshot behind the stream is released
    }
  }
  return { state, pieces };
}

test("snapshot stream: a dropped chunk stops the stream and reports failure once", async () => {
  const net = new FakeNet();
  const source = gatedSource();
  const statuses: boolean[] = [];
  const transport = new PeerTransport({
    net,
    clock: getPlatform().clock,
    selfId: 1,
    queueMsgsMax: 3,
    onSnapshotStatus: (_id, ok) => statuses.push(ok),
    snapshotSource: source.pieces,
  });
  transport.setPeers(new Map([[2, "127.0.0.1:1"]]));
  try {
    transport.send([HEARTBEAT]);
    await settle();
    const conn = net.conns[0];
    conn.accepting = false; // slow peer: the next write stays in the socket,
    transport.send([HEARTBEAT]);
    await settle();
    transport.send([HEARTBEAT, HEARTBEAT, HEARTBEAT]); // and these fill the link's queue
    transport.send([SNAP]); // its first chunk finds the queue full and is dropped
    await settle();
    conn.accepting = true; // the peer catches up before the rest of the stream
    conn.drain();
    source.state.release();
    await settle(50);
    assert.deepEqual(statuses, [false]);
    assert.equal(transport.counters.snapshotsFailed, 1);
    assert.equal(transport.counters.snapshotsSent, 0);
    const chunks = conn.delivered.filter((m) => m.type === MessageType.Snap);
    assert.deepEqual(chunks.map((m) => m.snapshotOffset), [], "no chunk after the gap");
    assert.ok(source.state.closed, "the source stream was closed");
    // The leader's next snapshot, on the same link, streams whole and is reported sent.
    transport.send([SNAP]);
    await settle(50);
    assert.deepEqual(statuses, [false, true]);
    const whole = conn.delivered.filter((m) => m.type === MessageType.Snap);
    assert.deepEqual(whole.map((m) => [m.snapshotOffset, m.snapshotDone]), [
      [0n, false],
      [100n, false],
      [200n, true],
    ]);
  } finally {
    transport.close();
  }
});

test("snapshot stream: a long stream yields the event loop to timers while it streams", async () => {
  const net = new FakeNet();
  const real = getPlatform().clock;
  // Each look at the clock costs 4 ms: the stream's work takes time as a real export does.
  let now = 0;
  const busyClock: Clock = {
    nowMs: () => (now += 4),
    wallMs: () => real.wallMs(),
    setTimeout: (fn, ms) => real.setTimeout(fn, ms),
    clearTimeout: (id) => real.clearTimeout(id),
  };
  let produced = 0;
  async function* pieces(): AsyncGenerator<Uint8Array> {
    for (let i = 0; i < 40; i++) {
      produced++;
      yield new Uint8Array(100).fill(i);
    }
  }
  const statuses: boolean[] = [];
  const transport = new PeerTransport({
    net,
    clock: busyClock,
    selfId: 1,
    onSnapshotStatus: (_id, ok) => statuses.push(ok),
    snapshotSource: pieces,
  });
  transport.setPeers(new Map([[2, "127.0.0.1:1"]]));
  try {
    transport.send([HEARTBEAT]);
    await settle();
    let seenAt = -1;
    transport.send([SNAP]);
    // A timer due at once (a heartbeat, a request's socket read) runs before the stream ends.
    setTimeout(() => seenAt = produced, 0);
    await settle(100);
    assert.deepEqual(statuses, [true]);
    assert.ok(seenAt >= 0 && seenAt < 40, `the timer ran after ${seenAt} of 40 pieces`);
    const chunks = net.conns[0].delivered.filter((m) => m.type === MessageType.Snap);
    assert.equal(chunks.length, 40, "every chunk sent, in order");
    assert.deepEqual(chunks.map((m) => Number(m.snapshotOffset)), chunks.map((_, i) => i * 100));
  } finally {
    transport.close();
  }
});
