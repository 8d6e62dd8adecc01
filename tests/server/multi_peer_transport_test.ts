/**
 * The multi-region peer transport's rules on a scripted socket (FakeNet) and
 * against real ports: nothing but Hello goes out until the peer accepts the
 * batch protocol, a peer that refuses or never answers fails the link with a
 * clear error, the queue bounds drop whole batches, snapshots past the
 * waiting bound fail at once, and another region's heartbeat waits behind at
 * most the snapshot window, not behind the whole image; a region's image is
 * read from its source (the engine's export) as the stream advances.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { ClientResponseSchema, ErrorCode } from "../../src/gen/tinykv/v1/tinykv_pb.ts";
import { getPlatform } from "../../src/platform/detect.ts";
import type { Clock } from "../../src/platform/types.ts";
import { EMPTY_CONF_STATE, type Message, MessageType } from "../../src/raft/core/messages.ts";
import type { RegionMessage } from "../../src/raft/multi/transport.ts";
import { SILENT_LOGGER } from "../../src/server/log/logger.ts";
import {
  MultiPeerTransport,
  type MultiPeerTransportOptions,
} from "../../src/server/peer/multi_peer_transport.ts";
import { encodeWireFrame } from "../../src/wire/frame_codec.ts";
import { FakeNet, settle } from "./peer_fake_conn.ts";

const KiB = 1024;
const ACCEPT = encodeWireFrame({ case: "hello", value: { batchVersion: 1 } });

function heartbeat(region: number): RegionMessage {
  const hb = { commit: 0, context: new Uint8Array(0), sentTick: 0 };
  return { region, message: { type: MessageType.Heartbeat, from: 1, to: 2, term: 1, ...hb } };
}

function snap(region: number, bytes: number): RegionMessage {
  const metadata = { index: 5, term: 1, confState: { ...EMPTY_CONF_STATE, voters: [1, 2] } };
  const message: Message = {
    type: MessageType.Snap,
    from: 1,
    to: 2,
    term: 1,
    snapshot: { metadata, data: new Uint8Array(bytes).fill(region) },
  };
  return { region, message };
}

function setup(net: FakeNet, o: Partial<MultiPeerTransportOptions> = {}) {
  const lost: string[] = [];
  const unreachable: number[] = [];
  const snapshots: [number, boolean][] = [];
  const logger = {
    ...SILENT_LOGGER,
    warn: (event: string, f?: Record<string, unknown>) => {
      if (event === "peer.lost") lost.push(String(f?.error));
    },
  };
  const t = new MultiPeerTransport({
    net,
    clock: getPlatform().clock,
    selfId: 1,
    logger,
    onUnreachable: (id) => unreachable.push(id),
    onSnapshotStatus: (_to, region, ok) => snapshots.push([region, ok]),
    ...o,
  });
  t.setPeers(new Map([[2, "127.0.0.1:1"]]));
  return { t, lost, unreachable, snapshots };
}

/**
 * The link to node 2, its batch protocol accepted, its socket slow from then on: a write is
 * taken and held until the test drains it.
 */
async function slowAcceptedLink(t: MultiPeerTransport, net: FakeNet) {
  t.send({ from: 1, to: 2, messages: [heartbeat(9)] });
  await settle();
  const conn = net.conns[0];
  conn.reply(ACCEPT);
  await settle();
  conn.accepting = false;
  return conn;
}

test("multi peer transport: nothing but Hello is sent before the peer accepts", async () => {
  const net = new FakeNet();
  const { t } = setup(net);
  try {
    t.send({ from: 1, to: 2, messages: [heartbeat(4)], beat: { incarnation: 9, quiet: [] } });
    await settle();
    const conn = net.conns[0];
    assert.equal(conn.regionDelivered.length + conn.beats, 0);
    conn.reply(ACCEPT);
    await settle();
    assert.equal(conn.beats, 1);
    assert.deepEqual(conn.regionDelivered.map((m) => m.region), [4n]);
  } finally {
    t.close();
  }
});

test("multi peer transport: flushNow writes what is queued in this turn, not at its end", async () => {
  const net = new FakeNet();
  const { t } = setup(net);
  try {
    t.send({ from: 1, to: 2, messages: [heartbeat(9)] });
    await settle();
    const conn = net.conns[0];
    conn.reply(ACCEPT);
    await settle();
    const before = conn.regionDelivered.length;
    t.send({ from: 1, to: 2, messages: [heartbeat(5), heartbeat(6)] });
    assert.equal(conn.regionDelivered.length, before, "queued: the turn's flush is a microtask");
    t.flushNow();
    assert.deepEqual(conn.regionDelivered.slice(before).map((m) => m.region), [5n, 6n]);
    await settle();
    assert.equal(conn.regionDelivered.length, before + 2, "the scheduled flush found nothing");
  } finally {
    t.close();
  }
});

test("multi peer transport: a peer that never answers or refuses fails the link, saying why", async () => {
  const silent = new FakeNet();
  const a = setup(silent, { handshakeMs: 30 });
  const refusing = new FakeNet();
  const b = setup(refusing);
  try {
    a.t.send({ from: 1, to: 2, messages: [heartbeat(1)] });
    b.t.send({ from: 1, to: 2, messages: [heartbeat(1)] });
    await settle();
    const error = { code: ErrorCode.INVALID_ARGUMENT, message: "no batches here" };
    const refusal = create(ClientResponseSchema, { requestId: 0n, error });
    refusing.conns[0].reply(encodeWireFrame({ case: "response", value: refusal }));
    await settle(80);
    assert.match(a.lost[0] ?? "", /did not answer the batch protocol Hello in 30 ms/);
    assert.match(b.lost[0] ?? "", /peer 2 refused the batch protocol: no batches here/);
    assert.equal(silent.conns[0].regionDelivered.length, 0);
    assert.equal(a.t.counters.droppedConnectionLost, 1, "the queued batch is dropped");
    assert.deepEqual(b.unreachable, [2]);
  } finally {
    a.t.close();
    b.t.close();
  }
});

test("multi peer transport: a mixed batch arrives whole and in order, each with its region", async () => {
  const net = new FakeNet();
  const { t } = setup(net);
  try {
    const vote: Message = {
      type: MessageType.Vote,
      from: 1,
      to: 2,
      term: 4,
      index: 3,
      logTerm: 2,
      transfer: false,
    };
    const entry = { term: 4, index: 8, type: 0 as const, data: new Uint8Array(70 * KiB).fill(5) };
    const big: Message = {
      type: MessageType.App,
      from: 1,
      to: 2,
      term: 4,
      index: 7,
      logTerm: 4,
      entries: [entry],
      commit: 6,
    };
    const messages = [heartbeat(5), { region: 6, message: vote }, heartbeat(0), heartbeat(7)];
    messages.push({ region: 8, message: big }, heartbeat(9));
    t.send({ from: 1, to: 2, messages });
    await settle();
    net.conns[0].reply(ACCEPT);
    await settle();
    const got = net.conns[0].regionDelivered;
    assert.deepEqual(
      got.map((m) => [Number(m.region), m.type]),
      messages.map((m) => [
        m.region,
        m.message.type,
      ]),
    );
    assert.equal(got[4].entries[0].data.length, 70 * KiB);
  } finally {
    t.close();
  }
});

test("multi peer transport: a batch past the message bound is dropped whole", async () => {
  const net = new FakeNet();
  const { t, unreachable } = setup(net, { queueMsgsMax: 10 });
  try {
    t.send({ from: 1, to: 2, messages: Array.from({ length: 11 }, (_, i) => heartbeat(i)) });
    assert.equal(t.counters.droppedQueueFull, 11);
    assert.deepEqual(unreachable, [2]);
    t.send({ from: 1, to: 2, messages: Array.from({ length: 10 }, (_, i) => heartbeat(i)) });
    t.send({ from: 3, to: 7, messages: [heartbeat(1)] });
    assert.equal(t.counters.droppedUnknownPeer, 1);
    await settle();
    net.conns[0].reply(ACCEPT);
    await settle();
    assert.equal(net.conns[0].regionDelivered.length, 10);
  } finally {
    t.close();
  }
});

test("multi peer transport: another region's heartbeat waits behind the window, not the image", async () => {
  const net = new FakeNet();
  const shape = { snapshotChunkBytes: 16 * KiB, snapshotWindowBytes: 32 * KiB };
  const { t, snapshots } = setup(net, { ...shape, snapshotsQueuedMax: 2 });
  try {
    const conn = await slowAcceptedLink(t, net);
    t.send({ from: 1, to: 2, messages: [snap(1, 512 * KiB)] });
    t.send({ from: 1, to: 2, messages: [snap(2, 4 * KiB)] });
    t.send({ from: 1, to: 2, messages: [snap(3, 4 * KiB)] }); // past the bound: fails at once
    assert.deepEqual(snapshots, [[3, false]]);
    await settle();
    t.send({ from: 1, to: 2, messages: [heartbeat(2)] });
    for (let i = 0; i < 200 && snapshots.length < 3; i++) {
      conn.drain();
      await settle(10);
    }
    assert.deepEqual(snapshots, [[3, false], [1, true], [2, true]]);
    conn.drain(); // "sent" means handed to the socket: let the peer read the rest
    const order = conn.regionDelivered;
    const hb = order.findIndex((m) => m.region === 2n && m.type === MessageType.Heartbeat);
    const before = order.slice(0, hb).reduce((n, m) => n + m.snapshotChunk.length, 0);
    assert.ok(hb > 0 && before <= 64 * KiB, `${before} snapshot bytes went before the heartbeat`);
    // Region 1's chunks carry their region; region 2's stream starts after region 1's ended.
    const regions = order.filter((m) => m.type === MessageType.Snap).map((m) => Number(m.region));
    assert.equal(regions.filter((r) => r === 1).length, 32);
    assert.equal(regions.lastIndexOf(1) < regions.indexOf(2), true);
  } finally {
    t.close();
  }
});

test("multi peer transport: the next image waits for the last one's stream to return", async () => {
  // A clock 20 ms later at every reading, whose timers run 30 ms late: a stream yields a timer
  // turn after each chunk, and the peer reads the last chunk (the test's drain every 10 ms)
  // before that turn ends — as a loaded machine ordered it in a CI run. The status comes with the
  // read, so the queued image started while the link was still streaming and failed at once.
  const real = getPlatform().clock;
  let skew = 0;
  const clock: Clock = {
    nowMs: () => real.nowMs() + (skew += 20),
    wallMs: () => real.wallMs(),
    setTimeout: (fn, ms) => real.setTimeout(fn, ms + 30),
    clearTimeout: (id) => real.clearTimeout(id),
  };
  const net = new FakeNet();
  const shape = { snapshotChunkBytes: 16 * KiB, snapshotWindowBytes: 32 * KiB };
  const { t, snapshots } = setup(net, { ...shape, clock });
  try {
    const conn = await slowAcceptedLink(t, net);
    t.send({ from: 1, to: 2, messages: [snap(1, 64 * KiB)] });
    t.send({ from: 1, to: 2, messages: [snap(2, 4 * KiB)] });
    for (let i = 0; i < 200 && snapshots.length < 2; i++) {
      conn.drain();
      await settle(10);
    }
    assert.deepEqual(snapshots, [[1, true], [2, true]]);
  } finally {
    t.close();
  }
});

test("multi peer transport: a region's image streams from its source, read as it goes", async () => {
  const net = new FakeNet();
  const shape = { snapshotChunkBytes: 16 * KiB, snapshotWindowBytes: 32 * KiB };
  let pulled = 0;
  const pieces = [1, 2, 3].map((k) => new Uint8Array(40 * KiB).fill(k));
  const { t, snapshots } = setup(net, {
    ...shape,
    // Region 1's image comes from the source (an engine export); region 2 has none.
    regionSnapshotSource: (region) =>
      region !== 1 ? undefined : async function* () {
        for (const p of pieces) {
          pulled++;
          yield p;
        }
      },
  });
  try {
    const conn = await slowAcceptedLink(t, net);
    t.send({ from: 1, to: 2, messages: [snap(1, 1), snap(2, 4 * KiB)] });
    await settle(10);
    assert.ok(pulled < 3, `the source was read ahead of the socket (${pulled} pieces)`);
    for (let i = 0; i < 200 && snapshots.length < 2; i++) {
      conn.drain();
      await settle(10);
    }
    assert.deepEqual(snapshots, [[1, true], [2, true]]);
    conn.drain();
    const chunks = (region: number) =>
      conn.regionDelivered.filter((m) => m.type === MessageType.Snap && m.region === BigInt(region))
        .map((m) => m.snapshotChunk);
    const image = new Uint8Array(chunks(1).flatMap((c) => [...c]));
    assert.deepEqual(image, new Uint8Array(pieces.flatMap((p) => [...p])));
    assert.equal(chunks(2).reduce((n, c) => n + c.length, 0), 4 * KiB, "its own data");
  } finally {
    t.close();
  }
});

test("multi peer transport: a stale queued snapshot is replaced or skipped, never streamed", async () => {
  const net = new FakeNet();
  const shape = { snapshotChunkBytes: 16 * KiB, snapshotWindowBytes: 32 * KiB };
  const asked: [number, number][] = [];
  const { t, snapshots } = setup(net, {
    ...shape,
    // Region 3 no longer waits for its snapshot by its turn (say, its leadership moved).
    snapshotWanted: (region, m) => {
      asked.push([region, m.term]);
      return region !== 3;
    },
  });
  const termed = (region: number, term: number): RegionMessage => {
    const s = snap(region, 4 * KiB);
    return { region, message: { ...s.message, term } };
  };
  try {
    const conn = await slowAcceptedLink(t, net); // region 1's image streams slowly
    t.send({ from: 1, to: 2, messages: [snap(1, 256 * KiB)] });
    t.send({ from: 1, to: 2, messages: [termed(2, 1)] });
    t.send({ from: 1, to: 2, messages: [termed(3, 1)] });
    t.send({ from: 1, to: 2, messages: [termed(2, 2)] }); // region 2 re-elected: a newer Snap
    for (let i = 0; i < 200 && snapshots.length < 2; i++) {
      conn.drain();
      await settle(10);
    }
    await settle(20);
    conn.drain();
    assert.deepEqual(snapshots, [[1, true], [2, true]], "region 3 reports nothing");
    assert.deepEqual(asked, [[1, 1], [2, 2], [3, 1]], "region 2's older Snap was never asked");
    assert.equal(t.counters.snapshotsSkipped, 2);
    const sent = conn.regionDelivered.filter((m) => m.type === MessageType.Snap);
    const terms = (region: number) => [
      ...new Set(sent.filter((m) => m.region === BigInt(region)).map((m) => Number(m.term))),
    ];
    assert.deepEqual(terms(2), [2], "only region 2's newer snapshot streamed");
    assert.deepEqual(terms(3), [], "region 3's was not streamed");
  } finally {
    t.close();
  }
});
