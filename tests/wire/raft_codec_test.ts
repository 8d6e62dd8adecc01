import { test } from "node:test";
import assert from "node:assert/strict";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { RaftMessageSchema } from "../../src/gen/tinykv/v1/tinykv_pb.ts";
import { EntryType, type Message, MessageType } from "../../src/raft/core/messages.ts";
import { raftMessageFromWire, raftMessageToWire } from "../../src/wire/raft_codec.ts";
import { WireError } from "../../src/wire/frame_codec.ts";

const e = (index: number) => ({
  term: 3,
  index,
  type: EntryType.Normal,
  data: new Uint8Array([index]),
});
const base = { from: 2, to: 1, term: 7 };
const ctx = new Uint8Array([9, 9]);

const samples: Message[] = [
  { ...base, type: MessageType.Prop, entries: [e(1)] },
  {
    ...base,
    type: MessageType.App,
    index: 4,
    logTerm: 3,
    entries: [e(5), { ...e(6), type: EntryType.ConfChange }],
    commit: 4,
  },
  { ...base, type: MessageType.AppResp, index: 6, reject: true, rejectHint: 2, logTerm: 1 },
  { ...base, type: MessageType.Vote, index: 9, logTerm: 6, transfer: true },
  { ...base, type: MessageType.PreVote, index: 9, logTerm: 6, transfer: false },
  { ...base, type: MessageType.VoteResp, reject: false },
  { ...base, type: MessageType.PreVoteResp, reject: true },
  { ...base, type: MessageType.Heartbeat, commit: 12, context: ctx, sentTick: 77 },
  { ...base, type: MessageType.HeartbeatResp, context: ctx, sentTick: 77 },
  { ...base, type: MessageType.TransferLeader, transferee: 3 },
  { ...base, type: MessageType.TimeoutNow },
  { ...base, type: MessageType.ReadIndex, context: ctx },
  { ...base, type: MessageType.ReadIndexResp, context: ctx, index: 40 },
  {
    ...base,
    type: MessageType.Snap,
    snapshot: {
      metadata: {
        index: 100,
        term: 6,
        confState: {
          voters: [1, 2, 3],
          learners: [4],
          votersOutgoing: [],
          learnersNext: [],
          autoLeave: false,
        },
      },
      data: new Uint8Array([1, 2, 3]),
    },
  },
];

test("raft codec: every peer message type survives encode → bytes → decode", () => {
  for (const m of samples) {
    const bytes = toBinary(RaftMessageSchema, raftMessageToWire(m));
    const data = m.type === MessageType.Snap ? m.snapshot.data : undefined;
    const back = raftMessageFromWire(fromBinary(RaftMessageSchema, bytes), 2, data);
    assert.deepEqual(back, m, `type ${m.type}`);
  }
});

test("raft codec: local types, unknown types, forged senders and huge numbers are refused", () => {
  const wire = (init: Parameters<typeof create<typeof RaftMessageSchema>>[1]) =>
    create(RaftMessageSchema, { from: 2n, to: 1n, ...init });
  assert.throws(() => raftMessageFromWire(wire({ type: MessageType.Hup }), 2), WireError);
  assert.throws(() => raftMessageFromWire(wire({ type: 99 }), 2), WireError);
  assert.throws(
    () => raftMessageFromWire(wire({ type: MessageType.TimeoutNow }), 3),
    /another sender/,
  );
  assert.throws(
    () => raftMessageFromWire(wire({ type: MessageType.App, term: 2n ** 60n }), 2),
    /2\^53/,
  );
  assert.throws(() => raftMessageFromWire(wire({ type: MessageType.Snap }), 2), /snapshot/);
  assert.throws(() => raftMessageToWire({ ...base, type: MessageType.Beat }), WireError);
});
