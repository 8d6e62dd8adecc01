/**
 * Revisions from timestamps (docs/decisions/0018-revisions-from-tso.md): the rule
 * `max(stamp, last + 1)`, the stamped `Routed` entry, and the state machine applying stamped
 * entries alike on every replica (and after a replay), with the timestamp barrier.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { entryRevision, isBarrier } from "../../src/kv/entry_revision.ts";
import { decodeRegionCommand, encodeRegionCommand } from "../../src/kv/region_command.ts";
import { DecodeError } from "../../src/util/coding.ts";
import { fromUtf8 } from "../../src/util/bytes.ts";
import type { ApplyEntry } from "../../src/kv/state_machine.ts";
import { b, cmd, decodeOutcome, dump, openKv, put } from "./kv_helpers.ts";

/** A timestamp of 2026-12 (far above any log index). */
const TS = 59_000_000_000 * 2048;

test("entry revision: the index without a timestamp, else max(timestamp, last + 1)", () => {
  assert.equal(entryRevision({ index: 7 }, 6), 7, "decision 0008: the index");
  assert.equal(entryRevision({ index: 7 }, 3), 7, "gaps: still the index");
  assert.equal(
    entryRevision({ index: 7, timestamp: TS }, 6),
    TS,
    "a region moves from indexes to timestamps",
  );
  assert.equal(entryRevision({ index: 8, timestamp: TS + 5 }, TS), TS + 5);
  assert.equal(
    entryRevision({ index: 9, timestamp: TS - 1 }, TS + 5),
    TS + 6,
    "a smaller timestamp: last + 1",
  );
  assert.equal(entryRevision({ index: 10 }, TS + 6), TS + 7, "an unstamped entry after stamped");
});

test("entry revision: a barrier is a Routed entry with a timestamp and no command", () => {
  assert.ok(isBarrier({ command: new Uint8Array(0), timestamp: TS }));
  assert.ok(!isBarrier({ command: new Uint8Array(0) }), "no timestamp: an (invalid) command");
  assert.ok(!isBarrier({ command: put("a", "1"), timestamp: TS }));
});

test("entry revision: a stamped Routed entry round-trips; an unsafe timestamp is refused", () => {
  const epoch = { version: 3, confVer: 2 };
  const command = put("k", "v");
  const stamped = encodeRegionCommand({
    kind: "routed",
    regionId: 5,
    epoch,
    command,
    timestamp: TS,
  });
  const plain = encodeRegionCommand({ kind: "routed", regionId: 5, epoch, command });
  assert.equal(stamped.length, plain.length + 8);
  const d = decodeRegionCommand(stamped);
  assert.ok(d.kind === "routed");
  assert.equal(d.timestamp, TS);
  assert.deepEqual([...d.command], [...command]);
  const p = decodeRegionCommand(plain);
  assert.ok(p.kind === "routed" && p.timestamp === undefined);
  const bad = stamped.slice();
  bad.fill(0xff, 26, 34);
  assert.throws(() => decodeRegionCommand(bad), DecodeError);
  assert.throws(() => decodeRegionCommand(stamped.subarray(0, 30)), DecodeError);
});

const failedCas = cmd({
  body: {
    case: "compareAndSet",
    value: {
      key: b("a"),
      expect: { case: "expectedValue", value: b("nope") },
      action: { case: "newValue", value: b("x") },
    },
  },
});

/** A region's log: stamped writes, one with a timestamp below the last, a no-op, a barrier. */
const LOG: ApplyEntry[] = [
  { index: 1, data: put("a", "1") }, // before timestamps: revision 1
  { index: 2, data: put("b", "1"), timestamp: TS + 10 },
  { index: 3, data: put("a", "2"), timestamp: TS + 4 }, // below the last: TS + 11
  { index: 4, data: failedCas, timestamp: TS + 20 }, // changes nothing: no revision
  { index: 5, data: null, timestamp: TS + 30, barrier: true }, // the barrier: TS + 30
  { index: 6, data: put("b", "2"), timestamp: TS + 25 }, // after the barrier: TS + 31
];

test("entry revision: the state machine numbers stamped entries by the rule, alike on replicas", async () => {
  const one = await openKv();
  const two = await openKv();
  const outcomes = await one.kv.apply(LOG);
  // The other replica applies the same log in other passes (a restart between them).
  await two.kv.apply(LOG.slice(0, 3));
  await two.kv.apply(LOG.slice(3));
  const revisions = LOG.map((e) => {
    const o = decodeOutcome(outcomes.get(e.index));
    return o.body.case === "write" ? Number(o.body.value.revision) : -1;
  });
  assert.deepEqual(revisions, [1, TS + 10, TS + 11, TS + 11, -1, TS + 31]);
  assert.equal(one.kv.revision, TS + 31);
  assert.deepEqual(await dump(one.db), await dump(two.db), "replicas agree byte for byte");
  const a = one.kv.get(b("a"));
  assert.deepEqual(a && [a.createRevision, a.modRevision, a.version], [1, TS + 11, 2]);
  // Reads at a revision between the timestamps see the store as it was.
  assert.equal(fromUtf8((await one.kv.getAt(b("a"), TS + 10))?.value ?? b("?")), "1");
  assert.equal(fromUtf8((await one.kv.getAt(b("b"), TS + 30))?.value ?? b("?")), "1");
  // The barrier moved the revision: replayed alone, it leaves the store at its timestamp.
  const three = await openKv();
  await three.kv.apply(LOG.slice(0, 5));
  assert.equal(three.kv.revision, TS + 30);
  assert.equal(fromUtf8((await one.kv.getAt(b("b"), TS + 31))?.value ?? b("?")), "2");
});
