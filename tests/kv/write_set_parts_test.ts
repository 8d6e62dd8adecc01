/**
 * A large value's records (key_record.ts `currentRecord`, `historyRecord`) reach the engine as
 * their head and the value itself (`putParts`): no joined copy is made unless a read in the same
 * pass asks for the record, and then the record read is the one a joined write would give.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  ChangeType,
  currentRecord,
  decodeCurrent,
  encodeCurrent,
  encodeHistory,
  historyRecord,
  RECORD_PARTS_MIN_BYTES,
} from "../../src/kv/key_record.ts";
import { dataKey } from "../../src/kv/keyspace.ts";
import { LeaseTable } from "../../src/kv/lease_table.ts";
import { RevisionWriter } from "../../src/kv/revision_writer.ts";
import { type EngineReader, WriteSet } from "../../src/kv/write_set.ts";
import { concatBytes, utf8 } from "../../src/util/bytes.ts";
import type { KeyState } from "../../src/kv/key_state.ts";

const empty: EngineReader = { get: () => undefined, scanSync: () => [] };

function state(value: Uint8Array): KeyState {
  const key = utf8("big");
  return { key, value, createRevision: 3, modRevision: 9, version: 4, lease: 0, expireAtMs: 5 };
}

test("records of a large value come apart, their bytes those of the joined records", () => {
  const small = state(new Uint8Array(RECORD_PARTS_MIN_BYTES - 1).fill(1));
  assert.ok(currentRecord(small) instanceof Uint8Array, "a small value is copied in");
  const large = state(new Uint8Array(RECORD_PARTS_MIN_BYTES).fill(2));
  const cur = currentRecord(large), hist = historyRecord(ChangeType.Put, large);
  assert.ok(!(cur instanceof Uint8Array) && !(hist instanceof Uint8Array));
  assert.equal(cur[1], large.value, "the value itself, not a copy");
  assert.equal(hist[1], large.value);
  assert.deepEqual(concatBytes(cur), encodeCurrent(large));
  assert.deepEqual(concatBytes(hist), encodeHistory(ChangeType.Put, large));
  assert.ok(historyRecord(ChangeType.Delete, large) instanceof Uint8Array);
});

test("a pass's large put reaches the engine as parts; a read in the pass sees it whole", () => {
  const ws = new WriteSet(empty);
  const w = new RevisionWriter(ws, 7, new LeaseTable());
  const value = new Uint8Array(RECORD_PARTS_MIN_BYTES * 2).map((_, i) => i & 0xff);
  w.put(utf8("big"), value, 0);
  const parts = ws.ops().filter((op) => op.type === "putParts");
  assert.equal(parts.length, 2, "the current and the history record");
  for (const op of parts) assert.equal(op.type === "putParts" && op.parts[1], value);
  assert.ok(ws.bytes >= 2 * value.length, "counted at their size");
  // A later command of the same pass reads the key: the record, joined once.
  const read = ws.get(dataKey(utf8("big")));
  assert.ok(read !== undefined);
  assert.deepEqual(decodeCurrent(utf8("big"), read).value, value);
  const after = ws.ops().filter((op) => op.type === "putParts");
  assert.equal(after.length, 1, "the current record is now one array; the history's is not");
  const scanned = [...ws.scan(new Uint8Array([0]), new Uint8Array([0xff]))];
  assert.ok(scanned.every(([, v]) => v instanceof Uint8Array));
  assert.equal(scanned.filter(([, v]) => v.length > value.length).length, 2);
});
