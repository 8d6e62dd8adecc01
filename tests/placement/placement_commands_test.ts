import { test } from "node:test";
import assert from "node:assert/strict";
import {
  decodeCommand,
  encodeCommand,
  PLACEMENT_COMMAND_VERSION,
  type PlacementCommand,
} from "../../src/placement/placement_commands.ts";
import {
  PLACEMENT_ADDRESS_BYTES_MAX,
  PLACEMENT_BOOTSTRAP_NODES_MAX,
  PLACEMENT_COMMAND_BYTES_MAX,
  PLACEMENT_ID_BATCH_MAX,
  PLACEMENT_REPLICAS_MAX,
  PLACEMENT_ZONE_BYTES_MAX,
} from "../../src/limits_ops.ts";
import { KEY_BYTES_MAX } from "../../src/limits.ts";
import { initialRegion } from "../../src/region/descriptor.ts";
import { DecodeError } from "../../src/util/coding.ts";
import { InvalidArgumentError } from "../../src/util/errors.ts";
import { BOOTSTRAP, everyKind, T0 } from "./placement_fixtures.ts";

const isBadInput = (e: unknown) => e instanceof DecodeError || e instanceof InvalidArgumentError;

test("placement commands: every kind round-trips, and encoding is stable", () => {
  const kinds = new Set<string>();
  for (const c of everyKind()) {
    const bytes = encodeCommand(c);
    assert.equal(bytes[0], PLACEMENT_COMMAND_VERSION);
    const back = decodeCommand(bytes);
    assert.deepEqual(back, c, c.kind);
    assert.deepEqual(encodeCommand(back), bytes, c.kind);
    kinds.add(c.kind);
  }
  assert.equal(kinds.size, 7, "all seven kinds are covered");
});

test("placement commands: every truncation and trailing byte is a clear error", () => {
  for (const c of everyKind()) {
    const bytes = encodeCommand(c);
    for (let n = 0; n < bytes.length; n++) {
      assert.throws(() => decodeCommand(bytes.subarray(0, n)), isBadInput, `${c.kind} cut at ${n}`);
    }
    const longer = new Uint8Array(bytes.length + 1);
    longer.set(bytes);
    assert.throws(() => decodeCommand(longer), /1 bytes after the command/);
  }
});

test("placement commands: a version 1 region report (before terms) reads with term 0", () => {
  const v2 = everyKind().find((c) => c.kind === "region-report" && c.term > 0);
  assert.ok(v2 !== undefined && v2.kind === "region-report");
  const bytes = encodeCommand(v2);
  // Version 1 wrote the same fields without the trailing term (a single-byte varint here).
  const v1 = bytes.slice(0, bytes.length - 1);
  v1[0] = 1;
  assert.deepEqual(decodeCommand(v1), { ...v2, term: 0 });
  // A version 2 report without its term is truncated, not read as unknown.
  assert.throws(() => decodeCommand(bytes.subarray(0, bytes.length - 1)), DecodeError);
});

test("placement commands: unknown versions and kinds are refused", () => {
  const bytes = encodeCommand({ kind: "allocate-ids", atMs: T0, count: 1 });
  for (const version of [0, 3, 255]) {
    const b = bytes.slice();
    b[0] = version;
    assert.throws(
      () => decodeCommand(b),
      new RegExp(`unknown placement command version ${version}`),
    );
  }
  for (const kind of [0, 8, 200]) {
    const b = bytes.slice();
    b[1] = kind;
    assert.throws(() => decodeCommand(b), new RegExp(`unknown placement command kind ${kind}`));
  }
  const huge = new Uint8Array(PLACEMENT_COMMAND_BYTES_MAX + 1);
  huge.set(bytes);
  assert.throws(() => decodeCommand(huge), DecodeError);
});

/** The heartbeat's bytes with its address field's length varint replaced by `length`. */
function heartbeatWithAddressLength(length: number): Uint8Array {
  const bytes = encodeCommand({
    kind: "heartbeat",
    atMs: 5,
    nodeId: 9,
    address: "",
    zone: "",
    capacityBytes: 0,
    usedBytes: 0,
  });
  // version, kind, atMs (1 byte), nodeId (1 byte), then the address length at offset 4.
  assert.equal(bytes[4], 0);
  const out = new Uint8Array(bytes.length + 2);
  out.set(bytes.subarray(0, 4));
  out.set([0x80 | (length & 0x7f), length >> 7], 4);
  out.set(bytes.subarray(5), 6);
  return out;
}

test("placement commands: oversize fields are refused before they are read", () => {
  assert.throws(
    () => decodeCommand(heartbeatWithAddressLength(PLACEMENT_ADDRESS_BYTES_MAX + 1)),
    /length 257 exceeds limit 256/,
  );
  const base = { atMs: T0, nodeId: 1, capacityBytes: 0, usedBytes: 0 };
  const long = "x".repeat(PLACEMENT_ADDRESS_BYTES_MAX + 1);
  assert.throws(
    () => encodeCommand({ kind: "heartbeat", ...base, address: long, zone: "" }),
    InvalidArgumentError,
  );
  const zone = "z".repeat(PLACEMENT_ZONE_BYTES_MAX + 1);
  assert.throws(
    () => encodeCommand({ kind: "heartbeat", ...base, address: "", zone }),
    InvalidArgumentError,
  );
  const voters = Array.from({ length: PLACEMENT_REPLICAS_MAX + 1 }, (_, i) => i + 1);
  const report = (descriptor = initialRegion([1]), caughtUp: number[] = []): PlacementCommand => ({
    kind: "region-report",
    atMs: T0,
    descriptor,
    leader: 0,
    sizeBytes: 0,
    writesPerSec: 0,
    caughtUp,
    term: 0,
  });
  assert.throws(() => encodeCommand(report(initialRegion(voters))), /over 16 replicas/);
  assert.throws(() => encodeCommand(report(undefined, voters)), /over 16 caught up/);
  const bigKey = { ...initialRegion([1]), end: new Uint8Array(KEY_BYTES_MAX + 1).fill(1) };
  assert.throws(() => encodeCommand(report(bigKey)), /boundary key is over/);
  assert.throws(
    () => encodeCommand({ kind: "allocate-ids", atMs: T0, count: PLACEMENT_ID_BATCH_MAX + 1 }),
    InvalidArgumentError,
  );
  const nodes = Array.from(
    { length: PLACEMENT_BOOTSTRAP_NODES_MAX + 1 },
    (_, i) => ({ nodeId: i + 1, address: "", zone: "" }),
  );
  assert.throws(() => encodeCommand({ ...BOOTSTRAP, nodes }), /bootstrap lists 65 nodes/);
});

test("placement commands: invalid values are refused by encode and by decode alike", () => {
  const bad: PlacementCommand[] = [
    { kind: "drain-node", atMs: T0, nodeId: 0 },
    { kind: "remove-node", atMs: -1, nodeId: 1 },
    { kind: "allocate-ids", atMs: T0, count: 0 },
    { kind: "persist-tso-bound", atMs: T0, bound: 1.5 },
    { ...BOOTSTRAP, region: initialRegion([1, 9]) }, // replica 9 is not a listed node
    {
      kind: "region-report",
      atMs: T0,
      descriptor: initialRegion([1, 2]),
      leader: 3, // not a replica
      sizeBytes: 0,
      writesPerSec: 0,
      caughtUp: [],
      term: 0,
    },
  ];
  for (const c of bad) assert.throws(() => encodeCommand(c), InvalidArgumentError, c.kind);
  // The same checks run on decode: a drain of node 0, written by hand.
  const drain0 = encodeCommand({ kind: "drain-node", atMs: T0, nodeId: 1 });
  drain0[drain0.length - 1] = 0;
  assert.throws(() => decodeCommand(drain0), /node id must be an integer ≥ 1/);
  // A replica role other than voter (0) and learner (1): find the role byte by encoding the
  // report twice, with node 1 a voter and a learner.
  const report = everyKind()[3];
  assert.ok(report.kind === "region-report");
  const voter = encodeCommand(report);
  const replicas = report.descriptor.replicas.map((p, i) =>
    i === 0 ? { ...p, role: "learner" as const } : p
  );
  const learner = encodeCommand({ ...report, descriptor: { ...report.descriptor, replicas } });
  const roleAt = voter.findIndex((b, i) => b !== learner[i]);
  assert.deepEqual([voter[roleAt], learner[roleAt]], [0, 1]);
  voter[roleAt] = 7;
  assert.throws(() => decodeCommand(voter), /unknown replica role 7/);
});

test("placement commands: invalid UTF-8 in a string is refused", () => {
  const bytes = encodeCommand({
    kind: "heartbeat",
    atMs: 1,
    nodeId: 1,
    address: "ab",
    zone: "",
    capacityBytes: 0,
    usedBytes: 0,
  });
  const at = bytes.indexOf(0x61);
  const b = bytes.slice();
  b[at] = 0xff;
  assert.throws(() => decodeCommand(b), /address is not valid UTF-8/);
});

test("placement commands: random bytes never throw anything but a clear error", () => {
  let seed = 7;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
  const samples = everyKind().map(encodeCommand);
  for (let i = 0; i < 2000; i++) {
    const b = samples[i % samples.length].slice();
    for (let k = 0; k < 1 + (i % 4); k++) b[2 + (next() % (b.length - 2))] = next() & 0xff;
    try {
      const c = decodeCommand(b);
      assert.deepEqual(decodeCommand(encodeCommand(c)), c); // what decodes is valid
    } catch (e) {
      assert.ok(isBadInput(e), `sample ${i}: ${e}`);
    }
  }
});
