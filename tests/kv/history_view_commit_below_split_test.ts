/**
 * A transaction's commit applied in a split child at a commit timestamp below the split
 * (src/kv/region_txn_keyspace.ts writes it into the child's own feed at that revision) while
 * the parent's feed holds another key's change at the same revision and sub: the child's reads
 * and its compactor find the key's own record, never the other key's (src/kv/history_view.ts).
 * The simulator's seed 20 with regions read a counter as another counter's value this way (two
 * keys of one MULTI/EXEC across regions committed at one timestamp while one's region split).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { HistoryView } from "../../src/kv/history_view.ts";
import { ChangeType, decodeHistory, encodeHistory } from "../../src/kv/key_record.ts";
import { regionKeys } from "../../src/kv/region_keys.ts";
import type { KeyState } from "../../src/kv/key_state.ts";
import { fromUtf8, toHex, utf8 } from "../../src/util/bytes.ts";

const COMMIT = 7_000, SPLIT = 7_040;
const PARENT = 2, CHILD = 7;

function put(key: string, value: string): KeyState {
  return {
    key: utf8(key),
    value: utf8(value),
    createRevision: 10,
    modRevision: COMMIT,
    version: 3,
    lease: 0,
    expireAtMs: 0,
  };
}

/** The engine: the parent's record of "n/0" and the child's of "n/1", both at COMMIT, sub 0. */
function engine() {
  const records = new Map<string, Uint8Array>([
    [toHex(regionKeys(PARENT).history(COMMIT, 0)), encodeHistory(ChangeType.Put, put("n/0", "22"))],
    [toHex(regionKeys(CHILD).history(COMMIT, 0)), encodeHistory(ChangeType.Put, put("n/1", "20"))],
  ]);
  return {
    get: (k: Uint8Array) => records.get(toHex(k)),
    scanSync: () => [],
  };
}

test("history view: a commit below the child's split is read from the child's feed", () => {
  const db = engine();
  const child = new HistoryView(regionKeys(CHILD), { start: utf8("n/1"), end: new Uint8Array(0) }, [
    { regionId: PARENT, splitRevision: SPLIT },
  ]);
  const raw = db.get(child.recordKey(db, utf8("n/1"), COMMIT, 0));
  assert.ok(raw !== undefined);
  const s = decodeHistory(COMMIT, raw).state;
  assert.deepEqual([fromUtf8(s.key), fromUtf8(s.value)], ["n/1", "20"]);
  // The compactor deletes the key's own record, not the parent's record of another key.
  const doomed = child.recordKeysToDelete(db, utf8("n/1"), COMMIT, 0).map(toHex);
  assert.deepEqual(doomed, [toHex(regionKeys(CHILD).history(COMMIT, 0))]);
  // The parent's own keys read as before.
  const parent = new HistoryView(regionKeys(PARENT), { start: utf8(""), end: utf8("n/1") });
  const own = db.get(parent.recordKey(db, utf8("n/0"), COMMIT, 0));
  assert.equal(fromUtf8(decodeHistory(COMMIT, own ?? new Uint8Array(0)).state.key), "n/0");
});

test("history view: below the split, a change the parent wrote is the parent's", () => {
  const db = engine();
  // A key of the child's range changed in the parent before the split: its record is there.
  const child = new HistoryView(regionKeys(CHILD), { start: utf8("n/0"), end: new Uint8Array(0) }, [
    { regionId: PARENT, splitRevision: SPLIT },
  ]);
  const at = child.recordKey(db, utf8("n/0"), COMMIT, 0);
  assert.equal(toHex(at), toHex(regionKeys(PARENT).history(COMMIT, 0)));
});
