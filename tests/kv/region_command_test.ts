/**
 * Region-level entries, outcomes and the descriptor record (src/kv/region_command.ts,
 * src/kv/region_descriptor_record.ts), and the replica-creation check of a lagging node
 * (src/raft/multi/split_child.ts).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  decodeRegionCommand,
  decodeRegionOutcome,
  encodeRegionCommand,
  encodeRegionOutcome,
  isRegionEntry,
  type RegionCommand,
  type RegionOutcome,
  ROUTED_AT_HEAD_BYTES,
} from "../../src/kv/region_command.ts";
import { type CommandInit, encodeCommand } from "../../src/kv/command_codec.ts";
import { utf8 } from "../../src/util/bytes.ts";
import {
  decodeDescriptor,
  descriptorKey,
  encodeDescriptor,
  readAllDescriptors,
  readDescriptor,
} from "../../src/kv/region_descriptor_record.ts";
import { RegionKv } from "../../src/kv/region_apply.ts";
import { mayCreateReplica, splitChildBootstrap } from "../../src/raft/multi/split_child.ts";
import {
  initialRegion,
  type RegionDescriptor,
  splitDescriptor,
} from "../../src/region/descriptor.ts";
import { createSimWorld } from "../../src/platform/sim/sim_world.ts";
import { DecodeError } from "../../src/util/coding.ts";
import { b, openKv, put } from "./kv_helpers.ts";

const region: RegionDescriptor = {
  id: 7,
  start: b("f"),
  end: b("p"),
  epoch: { version: 3, confVer: 2 },
  replicas: [{ nodeId: 1, role: "voter" }, { nodeId: 4, role: "learner" }],
};

test("region commands and outcomes round-trip and are told from protobuf by their first byte", () => {
  const commands: RegionCommand[] = [
    {
      kind: "split",
      regionId: 7,
      epoch: { version: 3, confVer: 2 },
      splitKey: b("k"),
      newRegionId: 9,
      replicas: region.replicas,
    },
    { kind: "routed", regionId: 7, epoch: { version: 3, confVer: 2 }, command: put("g", "1") },
    { kind: "txn", regionId: 7, epoch: { version: 3, confVer: 2 }, request: b("request") },
  ];
  for (const c of commands) {
    const bytes = encodeRegionCommand(c);
    assert.ok(isRegionEntry(bytes));
    assert.deepEqual(decodeRegionCommand(bytes), c);
  }
  assert.equal(isRegionEntry(put("k", "v")), false, "a Command never starts with 0x00");
  const outcomes: RegionOutcome[] = [
    { kind: "split", left: region, right: { ...region, id: 9 } },
    { kind: "key-not-in-region", key: b("z"), region },
    { kind: "epoch-not-match", current: region },
    { kind: "region-not-found", regionId: 12 },
    { kind: "invalid", message: "why" },
    { kind: "txn", reply: b("reply") },
  ];
  for (const o of outcomes) assert.deepEqual(decodeRegionOutcome(encodeRegionOutcome(o)), o);
  assert.equal(decodeRegionOutcome(new Uint8Array([0x08, 1])), undefined, "a ClientResponse");
});

test("malformed region entries and records throw DecodeError, never anything else", () => {
  const split = encodeRegionCommand({
    kind: "split",
    regionId: 1,
    epoch: { version: 1, confVer: 1 },
    splitKey: b("m"),
    newRegionId: 2,
    replicas: region.replicas,
  });
  for (let n = 0; n < HEAD_AND_REPLICAS; n++) {
    assert.throws(() => decodeRegionCommand(split.subarray(0, n)), DecodeError, `cut at ${n}`);
  }
  const badKind = split.slice();
  badKind[1] = 9;
  assert.throws(() => decodeRegionCommand(badKind), DecodeError);
  const record = encodeDescriptor(region);
  assert.deepEqual(decodeDescriptor(record), region);
  for (let n = 0; n < record.length; n++) {
    assert.throws(() => decodeDescriptor(record.subarray(0, n)), DecodeError, `cut at ${n}`);
  }
  const noVoter = encodeDescriptor({ ...region, replicas: [{ nodeId: 4, role: "learner" }] });
  assert.throws(() => decodeDescriptor(noVoter), DecodeError);
  assert.throws(() => decodeRegionOutcome(new Uint8Array([0, 3, 0, 0, 0, 9])), DecodeError);
});
/** The split above: mark, kind, region, epoch (26), new id, count (12), two replicas (18). */
const HEAD_AND_REPLICAS = 26 + 12 + 18;

test("a store without descriptor records is region 1 over the whole keyspace at epoch {1,1}", async () => {
  const { db, kv } = await openKv(createSimWorld(11));
  await kv.apply([{ index: 1, data: put("a", "1") }]);
  const one = readDescriptor(db, 1, [1, 2, 3]);
  assert.deepEqual(one, initialRegion([1, 2, 3]));
  assert.equal(readDescriptor(db, 2), undefined);
  assert.deepEqual(readAllDescriptors(db, [1, 2, 3]), [one]);
  const [left, right] = splitDescriptor(initialRegion([1]), b("m"), 5);
  await db.write([
    { type: "put", key: descriptorKey(1), value: encodeDescriptor(left) },
    { type: "put", key: descriptorKey(5), value: encodeDescriptor(right) },
  ]);
  assert.deepEqual(readAllDescriptors(db), [left, right]);
  const reopened = await RegionKv.open(db, 5);
  assert.deepEqual(reopened.descriptor, right);
  await assert.rejects(RegionKv.open(db, 6), /not on this engine/);
});

test("a node never creates a replica whose range overlaps a local region", () => {
  const [left, right] = splitDescriptor(initialRegion([1, 2, 3]), b("m"), 2);
  const stillWhole = [initialRegion([1, 2, 3])];
  assert.deepEqual(mayCreateReplica(stillWhole, right), { ok: false, overlaps: 1 });
  assert.deepEqual(mayCreateReplica([left], right), { ok: true });
  assert.deepEqual(mayCreateReplica([left, right], right), { ok: false, overlaps: 2 });
  // The child's first log position is the split's index, with the split's replicas.
  const boot = splitChildBootstrap(42, { ...right, replicas: region.replicas });
  assert.deepEqual(boot.snapshot?.metadata.index, 42);
  assert.deepEqual(boot.snapshot?.metadata.confState.voters, [1]);
  assert.deepEqual(boot.snapshot?.metadata.confState.learners, [4]);
  assert.equal(boot.hardState?.commit, 42);
});

test("a command encoded with room for the Routed header is wrapped in place, no copy", () => {
  const command: CommandInit = {
    clientId: 3n,
    sequence: 4n,
    body: { case: "put", value: { key: utf8("k"), value: new Uint8Array(5000).fill(7) } },
  };
  const epoch = { version: 2, confVer: 1 };
  const plain = encodeCommand(command);
  const roomy = encodeCommand(command, ROUTED_AT_HEAD_BYTES);
  assert.deepEqual(roomy, plain, "the same command bytes");
  const routed = { kind: "routed", regionId: 9, epoch, timestamp: 77 } as const;
  const copied = encodeRegionCommand({ ...routed, command: plain });
  const inPlace = encodeRegionCommand({ ...routed, command: roomy });
  assert.deepEqual(inPlace, copied, "the same entry bytes");
  assert.equal(inPlace.buffer, roomy.buffer, "the command's own buffer, not a copy");
  // Once only, and never a buffer made elsewhere: a view with bytes before it is copied.
  assert.notEqual(encodeRegionCommand({ ...routed, command: roomy }).buffer, roomy.buffer);
  const elsewhere = new Uint8Array(ROUTED_AT_HEAD_BYTES + plain.length).fill(1);
  elsewhere.set(plain, ROUTED_AT_HEAD_BYTES);
  const view = elsewhere.subarray(ROUTED_AT_HEAD_BYTES);
  assert.deepEqual(encodeRegionCommand({ ...routed, command: view }), copied);
  assert.ok(elsewhere.subarray(0, ROUTED_AT_HEAD_BYTES).every((b) => b === 1), "left alone");
  assert.deepEqual(decodeRegionCommand(inPlace), { ...routed, command: plain });
});
