import { test } from "node:test";
import assert from "node:assert/strict";
import { createPrng, type Prng } from "../../src/util/prng.ts";
import { type Entry, EntryType, type Message, MessageType } from "../../src/raft/core/messages.ts";
import { decodeWireFrame, encodeWireFrame } from "../../src/wire/frame_codec.ts";
import { raftMessageFromWire, raftMessageToWire } from "../../src/wire/raft_codec.ts";
import { encodeHotFrame, type HotMessage } from "../../src/wire/raft_hot_codec.ts";
import { decodeHotRaftFrame } from "../../src/wire/raft_hot_decode.ts";

/** 0, small, and up to 2^53 - 1: every varint length the fields can have. */
function num(p: Prng): number {
  const r = p.int(6);
  if (r === 0) return 0;
  if (r === 1) return p.int(128);
  if (r === 2) return p.int(1 << 20);
  if (r === 3) return Number.MAX_SAFE_INTEGER - p.int(1000);
  return p.int(2 ** 31) * (r === 4 ? 1 : 2 ** 21) + p.int(1 << 20);
}

function bytes(p: Prng, max: number): Uint8Array {
  return p.fill(new Uint8Array(p.chance(0.3) ? 0 : p.int(max)));
}

function entry(p: Prng): Entry {
  const type = p.chance(0.2) ? EntryType.ConfChange : EntryType.Normal;
  return { term: num(p), index: num(p), type, data: bytes(p, 300) };
}

function hotMessage(p: Prng): HotMessage {
  const base = { from: 1 + p.int(5), to: num(p), term: num(p) };
  switch (p.int(4)) {
    case 0: {
      const entries = Array.from({ length: p.int(5) }, () => entry(p));
      return {
        ...base,
        type: MessageType.App,
        index: num(p),
        logTerm: num(p),
        entries,
        commit: num(p),
      };
    }
    case 1:
      return {
        ...base,
        type: MessageType.AppResp,
        index: num(p),
        logTerm: num(p),
        reject: p.chance(0.5),
        rejectHint: num(p),
      };
    case 2:
      return {
        ...base,
        type: MessageType.Heartbeat,
        commit: num(p),
        context: bytes(p, 40),
        sentTick: num(p),
      };
    default:
      return { ...base, type: MessageType.HeartbeatResp, context: bytes(p, 40), sentTick: num(p) };
  }
}

/** What the protobuf-es path makes of a frame payload (or the error it throws). */
function generic(payload: Uint8Array, from: number): Message | string {
  try {
    const frame = decodeWireFrame(payload);
    if (frame.body.case !== "raft") return `not raft: ${frame.body.case}`;
    return raftMessageFromWire(frame.body.value, from);
  } catch (err) {
    return String(err);
  }
}

test("hot codec: the frames are byte for byte what protobuf-es writes", () => {
  const p = createPrng(14);
  for (let i = 0; i < 2000; i++) {
    const m = hotMessage(p);
    const expected = encodeWireFrame({ case: "raft", value: raftMessageToWire(m) });
    assert.deepEqual(encodeHotFrame(m), expected, JSON.stringify({ ...m, entries: undefined }));
  }
});

test("hot codec: decoding gives the message the protobuf-es path gives", () => {
  const p = createPrng(15);
  for (let i = 0; i < 2000; i++) {
    const m = hotMessage(p);
    const payload = encodeHotFrame(m).subarray(4);
    const fast = decodeHotRaftFrame(payload, m.from);
    assert.deepEqual(fast, generic(payload, m.from));
    assert.deepEqual(fast, m);
  }
});

test("hot codec: other senders, other types and large numbers go to the protobuf-es path", () => {
  const m: Message = {
    type: MessageType.AppResp,
    from: 2,
    to: 1,
    term: 3,
    index: 4,
    logTerm: 3,
    reject: false,
    rejectHint: 0,
  };
  const payload = encodeHotFrame(m).subarray(4);
  assert.equal(decodeHotRaftFrame(payload, 3), undefined); // claims another sender
  const vote: Message = {
    type: MessageType.Vote,
    from: 2,
    to: 1,
    term: 3,
    index: 4,
    logTerm: 3,
    transfer: false,
  };
  const votePayload = encodeWireFrame({ case: "raft", value: raftMessageToWire(vote) }).subarray(4);
  assert.equal(decodeHotRaftFrame(votePayload, 2), undefined);
  // term = 2^53: beyond what the core takes; the protobuf-es path refuses it.
  const big = raftMessageToWire(m);
  big.term = 2n ** 53n;
  const bigPayload = encodeWireFrame({ case: "raft", value: big }).subarray(4);
  assert.equal(decodeHotRaftFrame(bigPayload, 2), undefined);
  assert.equal(typeof generic(bigPayload, 2), "string");
});

test("hot codec: damaged frames never decode to something the protobuf-es path would not", () => {
  const p = createPrng(16);
  let taken = 0;
  for (let i = 0; i < 3000; i++) {
    const m = hotMessage(p);
    const payload = encodeHotFrame(m).slice(4);
    const damaged = p.chance(0.5)
      ? payload.subarray(0, p.int(payload.length + 1)) // cut short
      : payload.map((b) => p.chance(0.05) ? p.int(256) : b); // bytes changed
    const fast = decodeHotRaftFrame(damaged, m.from);
    if (fast === undefined) continue;
    taken++;
    assert.deepEqual(fast, generic(damaged, m.from));
  }
  assert.ok(taken > 0, "some damaged frames are still canonical and decode");
});
