import { test } from "node:test";
import assert from "node:assert/strict";
import { type AppMsg, MessageType, type PropMsg } from "../../src/raft/core/messages.ts";
import { raftFrameParts } from "../../src/wire/raft_frames.ts";
import { messageFrames } from "../../src/server/peer/peer_transport.ts";
import { raftMessageFromWire, raftMessageToWire } from "../../src/wire/raft_codec.ts";
import { decodeWireFrame, encodeWireFrame } from "../../src/wire/frame_codec.ts";
import { concatBytes } from "../../src/util/bytes.ts";
import { createPrng } from "../../src/util/prng.ts";

function decode(bytes: Uint8Array) {
  const n = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, false);
  assert.equal(n, bytes.length - 4, "the length prefix covers the payload");
  const frame = decodeWireFrame(bytes.subarray(4));
  assert.equal(frame.body.case, "raft");
  return frame.body.value;
}

test("raft frames: zero-copy parts decode exactly like the ordinary encoding", () => {
  const prng = createPrng(7);
  for (let round = 0; round < 50; round++) {
    const entries = Array.from({ length: 1 + prng.int(4) }, (_, i) => {
      const size = prng.int(3) === 0 ? 0 : prng.int(200_000);
      const data = new Uint8Array(size);
      for (let j = 0; j < size; j += 997) data[j] = prng.int(256);
      return { term: 1 + prng.int(5), index: 100 + i, type: prng.int(4) === 0 ? 1 : 0, data };
    }) as AppMsg["entries"];
    const m: AppMsg | PropMsg = round % 2 === 0
      ? {
        type: MessageType.App,
        from: 1,
        to: 2,
        term: 9,
        index: 99,
        logTerm: 3,
        commit: 98,
        entries,
      }
      : { type: MessageType.Prop, from: 1, to: 2, term: 0, entries };
    const parts = raftFrameParts(m);
    const viaParts = decode(concatBytes(parts));
    const ordinary = decode(encodeWireFrame({ case: "raft", value: raftMessageToWire(m) }));
    assert.deepEqual(viaParts, ordinary);
    assert.deepEqual(raftMessageFromWire(viaParts, 1), m);
    // Large data is referenced, not copied.
    for (const e of entries) {
      if (e.data.length > 0) assert.ok(parts.includes(e.data), "entry data is its own part");
    }
  }
});

test("raft frames: the transport uses parts only for large entries", () => {
  const small = new Uint8Array(100);
  const big = new Uint8Array(1 << 20);
  const app = (data: Uint8Array): AppMsg => ({
    type: MessageType.App,
    from: 1,
    to: 2,
    term: 2,
    index: 5,
    logTerm: 2,
    commit: 5,
    entries: [{ term: 2, index: 6, type: 0, data }],
  });
  assert.equal(messageFrames(app(small)).length, 1);
  const parts = messageFrames(app(big));
  assert.ok(parts.length > 1 && parts.includes(big));
  assert.deepEqual(raftMessageFromWire(decode(concatBytes(parts)), 1), app(big));
});
