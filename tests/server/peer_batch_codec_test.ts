/**
 * The multi-region peer frames (docs/formats.md, "Peer batches"): every
 * message kind round-trips with its region through the encoding it takes (hot,
 * zero-copy, protobuf-es), the hot encoding is byte for byte protobuf-es's,
 * beats round-trip, and corrupted or random frames give a WireError or
 * DecodeError — never another exception.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { create, toBinary } from "@bufbuild/protobuf";
import { FrameSchema } from "../../src/gen/tinykv/v1/tinykv_pb.ts";
import { EntryType, type Message, MessageType } from "../../src/raft/core/messages.ts";
import { messageFrames } from "../../src/server/peer/peer_frames.ts";
import { concatBytes } from "../../src/util/bytes.ts";
import { DecodeError } from "../../src/util/coding.ts";
import { FrameDecoder } from "../../src/util/frame.ts";
import { createPrng, type Prng } from "../../src/util/prng.ts";
import { WireError } from "../../src/wire/frame_codec.ts";
import {
  decodePeerBatchFrame,
  encodeBeatFrame,
  isPeerBatchFrame,
} from "../../src/server/peer/peer_batch_codec.ts";
import { raftMessageToWire } from "../../src/wire/raft_codec.ts";
import { encodeHotFrame } from "../../src/wire/raft_hot_codec.ts";
import { decodeHotRaftFrame } from "../../src/wire/raft_hot_decode.ts";
import { MULTI_PEER_BEAT_QUIET_MAX } from "../../src/limits_ops.ts";
import { RegionSnapshotAssembler } from "../../src/server/peer/region_snapshot_assembler.ts";

const MAX = Number.MAX_SAFE_INTEGER;

function payloads(frames: readonly Uint8Array[]): Uint8Array[] {
  return [...new FrameDecoder(1 << 30, 256).push(concatBytes(frames))].map((p) => p.slice());
}

function num(p: Prng): number {
  const r = p.int(4);
  return r === 0 ? 0 : r === 1 ? p.int(200) : r === 2 ? p.int(2 ** 31) : MAX - p.int(99);
}

const ctx = (p: Prng) => p.fill(new Uint8Array(p.int(3) * 4));

/** A message of any kind a peer sends, with random numbers. */
function message(p: Prng, big = false): Message {
  const base = { from: 3, to: 1 + p.int(5), term: num(p) };
  const entries = Array.from({ length: p.int(4) }, (_, i) => ({
    term: num(p),
    index: Math.min(MAX, num(p) + i),
    type: p.chance(0.2) ? EntryType.ConfChange : EntryType.Normal,
    data: p.fill(new Uint8Array(big ? 70_000 : p.int(50))),
  }));
  const idx = { index: num(p), logTerm: num(p) };
  const kinds: Message[] = [
    { ...base, type: MessageType.App, ...idx, entries, commit: num(p) },
    { ...base, type: MessageType.AppResp, ...idx, reject: p.chance(0.5), rejectHint: num(p) },
    { ...base, type: MessageType.Heartbeat, commit: num(p), context: ctx(p), sentTick: num(p) },
    { ...base, type: MessageType.HeartbeatResp, context: ctx(p), sentTick: num(p) },
    { ...base, type: MessageType.Vote, ...idx, transfer: p.chance(0.5) },
    { ...base, type: MessageType.PreVoteResp, reject: p.chance(0.5) },
    { ...base, type: MessageType.Prop, entries },
    { ...base, type: MessageType.TimeoutNow },
    { ...base, type: MessageType.ReadIndexResp, context: ctx(p), index: num(p) },
    { ...base, type: MessageType.TransferLeader, transferee: num(p) },
  ];
  return big ? kinds[p.chance(0.5) ? 0 : 6] : kinds[p.int(kinds.length)];
}

test("peer batch frames: every kind round-trips with its region (0 and up to 2^53 - 1)", () => {
  const p = createPrng(15);
  for (let i = 0; i < 600; i++) {
    const m = message(p, i % 100 === 99);
    const region = i % 7 === 0 ? 0 : num(p);
    const ps = payloads(messageFrames(m, region));
    assert.equal(ps.length, 1);
    assert.ok(isPeerBatchFrame(ps[0]));
    const got = decodePeerBatchFrame(ps[0], 3);
    assert.deepEqual(got, { kind: "message", region, message: m });
    // A region frame is never taken for a single-group one, nor the reverse.
    assert.equal(decodeHotRaftFrame(ps[0], 3), undefined);
    assert.equal(isPeerBatchFrame(payloads(messageFrames(m))[0]), false);
  }
});

test("peer batch frames: the hot encoding is exactly protobuf-es's Frame.region_raft", () => {
  const p = createPrng(16);
  for (let n = 0; n < 400; n++) {
    const m = message(p);
    if (m.type !== MessageType.App && m.type !== MessageType.Heartbeat) continue;
    const region = num(p);
    const wire = raftMessageToWire(m);
    wire.region = BigInt(region);
    const viaEs = toBinary(
      FrameSchema,
      create(FrameSchema, { body: { case: "regionRaft", value: wire } }),
    );
    assert.deepEqual(payloads([encodeHotFrame(m, region)])[0], viaEs);
  }
});

test("peer batch frames: a beat round-trips, empty or listing 10,000 regions", () => {
  for (const n of [0, 3, 10_000]) {
    const quiet = Array.from(
      { length: n },
      (_, i) => ({ region: i, term: i * 3, commit: MAX - i }),
    );
    const beat = { incarnation: 4_000_000_001, quiet };
    const [payload] = payloads([encodeBeatFrame(beat)]);
    assert.deepEqual(decodePeerBatchFrame(payload, 2), { kind: "beat", beat });
  }
});

test("peer batch frames: the hand-written beat is exactly protobuf-es's, both ways", () => {
  const p = createPrng(18);
  for (let i = 0; i < 300; i++) {
    const quiet = Array.from({ length: p.int(6) }, () => ({
      region: num(p),
      term: num(p),
      commit: num(p),
    }));
    const beat = { incarnation: num(p), quiet };
    const value = {
      incarnation: BigInt(beat.incarnation),
      quietRegions: quiet.map((q) => BigInt(q.region)),
      quietTerms: quiet.map((q) => BigInt(q.term)),
      quietCommits: quiet.map((q) => BigInt(q.commit)),
    };
    const viaEs = toBinary(FrameSchema, create(FrameSchema, { body: { case: "liveness", value } }));
    const [hand] = payloads([encodeBeatFrame(beat)]);
    assert.deepEqual(hand, viaEs);
    assert.deepEqual(decodePeerBatchFrame(viaEs, 2), { kind: "beat", beat });
  }
  // Unpacked lists (legal protobuf, not what TinyKV writes) take the protobuf-es path.
  const unpacked = new Uint8Array([0x32, 6, 0x10, 5, 0x18, 6, 0x20, 7]);
  const beat = { incarnation: 0, quiet: [{ region: 5, term: 6, commit: 7 }] };
  assert.deepEqual(decodePeerBatchFrame(unpacked, 2), { kind: "beat", beat });
});

test("peer batch frames: another sender, lists of different lengths, other frames are refused", () => {
  const hb = message(createPrng(1));
  const [frame] = payloads(messageFrames({ ...hb, type: MessageType.TimeoutNow }, 5));
  assert.throws(() => decodePeerBatchFrame(frame, 4), /another sender/);
  const beat = create(FrameSchema, {
    body: { case: "liveness", value: { incarnation: 1n, quietRegions: [1n], quietTerms: [] } },
  });
  assert.throws(() => decodePeerBatchFrame(toBinary(FrameSchema, beat), 2), /different lengths/);
  const many = Array.from({ length: MULTI_PEER_BEAT_QUIET_MAX + 1 }, () => 1n);
  const huge = create(FrameSchema, {
    body: {
      case: "liveness",
      value: { incarnation: 1n, quietRegions: many, quietTerms: many, quietCommits: many },
    },
  });
  assert.throws(() => decodePeerBatchFrame(toBinary(FrameSchema, huge), 2), /at most 100000/);
  const [single] = payloads(messageFrames({ ...hb, type: MessageType.TimeoutNow }));
  assert.throws(() => decodePeerBatchFrame(single, 3), /raft frame is not a batch frame/);
});

test("peer batch frames: corrupted and random frames give a clear error, never a crash", () => {
  const p = createPrng(17);
  let refused = 0;
  for (let i = 0; i < 3000; i++) {
    let payload: Uint8Array;
    if (i % 3 === 0) payload = p.fill(new Uint8Array(1 + p.int(60)));
    else {
      const m = message(p);
      const frames = i % 10 === 1
        ? [encodeBeatFrame({ incarnation: num(p), quiet: [{ region: 1, term: 2, commit: 3 }] })]
        : messageFrames(m, num(p));
      payload = payloads(frames)[0];
      for (let k = 0; k <= p.int(3); k++) payload[p.int(payload.length)] = p.int(256);
      if (p.chance(0.3)) payload = payload.subarray(0, p.int(payload.length));
    }
    payload[0] = p.chance(0.5) ? 0x2a : 0x32; // claim a batch frame
    try {
      decodePeerBatchFrame(payload, 3);
    } catch (err) {
      assert.ok(err instanceof WireError || err instanceof DecodeError, String(err));
      refused++;
    }
  }
  assert.ok(refused > 1000, `${refused} refused`);
});

test("region snapshots: chunks reassemble per region; gaps, other terms and oversize are refused", () => {
  const meta = {
    index: 9,
    term: 2,
    confState: {
      voters: [1, 2],
      learners: [],
      votersOutgoing: [],
      learnersNext: [],
      autoLeave: false,
    },
  };
  const snap = (data: Uint8Array): Message => ({
    type: MessageType.Snap,
    from: 3,
    to: 1,
    term: 2,
    snapshot: { metadata: meta, data },
  });
  const a = createPrng(2).fill(new Uint8Array(10 * 1024 * 1024 + 5));
  const b = new Uint8Array(7).fill(1);
  const framesA = payloads(messageFrames(snap(a), 1)).map((f) => decodePeerBatchFrame(f, 3));
  const framesB = payloads(messageFrames(snap(b), 2)).map((f) => decodePeerBatchFrame(f, 3));
  assert.equal(framesA.length, 3);
  const asm = new RegionSnapshotAssembler();
  const feed = (f: ReturnType<typeof decodePeerBatchFrame>) =>
    f.kind === "chunk" ? asm.chunk(3, f.region, f.wire) : assert.fail("a chunk");
  // Interleaved: region 2's whole stream arrives between region 1's chunks.
  assert.equal(feed(framesA[0]), undefined);
  assert.deepEqual(feed(framesB[0]), snap(b));
  assert.equal(feed(framesA[1]), undefined);
  assert.deepEqual(feed(framesA[2]), snap(a));
  assert.equal(asm.streams, 0);
  // A gap breaks the stream off; its later chunks are dropped until a new stream.
  feed(framesA[0]);
  assert.equal(feed(framesA[2]), undefined);
  assert.match(asm.lastRefusal, /expected/);
  assert.equal(feed(framesA[2]), undefined);
  assert.equal(asm.counts.chunksDropped, 1);
  // A declared size past the limit is refused before anything is kept.
  const small = new RegionSnapshotAssembler({ bytesMax: 1024 });
  const f0 = framesA[0];
  assert.equal(f0.kind === "chunk" ? small.chunk(3, 1, f0.wire) : 0, undefined);
  assert.match(small.lastRefusal, /exceed the 1024-byte limit/);
  assert.equal(small.streams, 0);
  // Past the streams bound, a new stream supersedes the oldest.
  const one = new RegionSnapshotAssembler({ streamsMax: 1 });
  const g0 = framesB[0];
  if (f0.kind !== "chunk" || g0.kind !== "chunk") return assert.fail("chunks");
  one.chunk(3, 1, f0.wire);
  assert.deepEqual(one.chunk(4, 2, { ...g0.wire, from: 4n }), { ...snap(b), from: 4 });
  assert.match(one.lastRefusal, /superseded/);
  assert.equal(one.streams, 0);
});
