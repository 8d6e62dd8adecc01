/**
 * Reads at a revision on a replica made from a region image after a split (src/kv/history_reader.ts):
 * the key index names changes whose records are in the parent's feed, which the image did not
 * carry. A key unchanged since is read from its current record (the same version); one changed
 * since fails with MissingHistoryError instead of reading as absent (a current scan over several
 * regions, read at one timestamp, lost such keys on a node holding some regions); a watch's
 * previous value stays lenient.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { rangeAt, stateAt } from "../../src/kv/history_reader.ts";
import { HistoryView } from "../../src/kv/history_view.ts";
import {
  ChangeType,
  encodeCurrent,
  encodeHistory,
  encodeIndexEntry,
} from "../../src/kv/key_record.ts";
import { dataKey } from "../../src/kv/keyspace.ts";
import { indexKey } from "../../src/kv/mvcc_keys.ts";
import { regionKeys } from "../../src/kv/region_keys.ts";
import type { KeyState } from "../../src/kv/key_state.ts";
import { MissingHistoryError } from "../../src/kv/revision_errors.ts";
import type { Snapshot } from "../../src/storage/db.ts";
import { compareBytes, fromUtf8, toHex, utf8 } from "../../src/util/bytes.ts";

const PARENT = 2, CHILD = 9, SPLIT = 500;

function state(key: string, value: string, rev: number): KeyState {
  return {
    key: utf8(key),
    value: utf8(value),
    createRevision: 100,
    modRevision: rev,
    version: 1,
    lease: 0,
    expireAtMs: 0,
  };
}

/** An engine snapshot over sorted records (only what the history reader uses). */
function snapshotOf(records: [Uint8Array, Uint8Array][]): Snapshot {
  const sorted = [...records].sort(([a], [b]) => compareBytes(a, b));
  const byHex = new Map(sorted.map(([k, v]) => [toHex(k), v]));
  return {
    get: (k: Uint8Array) => byHex.get(toHex(k)),
    async *scan(o: { start: Uint8Array; end: Uint8Array }) {
      for (const [k, v] of sorted) {
        if (compareBytes(k, o.start) >= 0 && compareBytes(k, o.end) < 0) yield [k, v];
      }
    },
  } as unknown as Snapshot;
}

/**
 * The child's replica as an image made it: index entries of "c/old" (changed at 200 in the
 * parent, current), "c/moved" (200 in the parent, then 600 in the child) and "c/new" (600), the
 * child's own feed records (600), no parent feed records.
 */
function imageReplica(): Snapshot {
  const child = regionKeys(CHILD);
  const put = encodeIndexEntry(ChangeType.Put, 0);
  return snapshotOf([
    [indexKey(utf8("c/old"), 200), put],
    [indexKey(utf8("c/moved"), 200), put],
    [indexKey(utf8("c/moved"), 600), encodeIndexEntry(ChangeType.Put, 1)],
    [indexKey(utf8("c/new"), 600), put],
    [dataKey(utf8("c/old")), encodeCurrent(state("c/old", "o", 200))],
    [dataKey(utf8("c/moved")), encodeCurrent(state("c/moved", "m2", 600))],
    [dataKey(utf8("c/new")), encodeCurrent(state("c/new", "n", 600))],
    [child.history(600, 0), encodeHistory(ChangeType.Put, state("c/new", "n", 600))],
    [child.history(600, 1), encodeHistory(ChangeType.Put, state("c/moved", "m2", 600))],
  ]);
}

const view = () =>
  new HistoryView(regionKeys(CHILD), { start: utf8("c/"), end: new Uint8Array(0) }, [
    { regionId: PARENT, splitRevision: SPLIT },
  ]);

test("history: a record the image lacks is the current record when the key is unchanged", async () => {
  const snap = imageReplica();
  const old = await stateAt(snap, view(), utf8("c/old"), 700);
  assert.equal(fromUtf8(old?.value ?? new Uint8Array(0)), "o");
  const { states } = await rangeAt(
    snap,
    view(),
    { key: utf8("c/new"), rangeEnd: utf8("c/p") },
    700,
    10,
  );
  assert.deepEqual(states.map((s) => fromUtf8(s.value)), ["n", "o"]);
  // At 650 the moved key's version is its own feed's.
  const moved = await stateAt(snap, view(), utf8("c/moved"), 650);
  assert.equal(fromUtf8(moved?.value ?? new Uint8Array(0)), "m2");
});

test("history: a changed key's missing record fails, never reads as absent", async () => {
  const snap = imageReplica();
  await assert.rejects(stateAt(snap, view(), utf8("c/moved"), 300), MissingHistoryError);
  const whole = { key: utf8("c/"), rangeEnd: utf8("c0") };
  await assert.rejects(rangeAt(snap, view(), whole, 300, 10), MissingHistoryError);
  // A watch's previous value is lenient: absent.
  assert.equal(await stateAt(snap, view(), utf8("c/moved"), 300, true), undefined);
});
