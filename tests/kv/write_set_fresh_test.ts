/**
 * Writes a WriteSet takes as new (history records, a key index entry of a key the pass had
 * not touched) skip its map: they must still reach the engine batch, scans and a parent set,
 * never twice for one key, and a change of a key twice at one revision must leave one key
 * index entry (the last change's).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeIndexEntry, encodeCurrent } from "../../src/kv/key_record.ts";
import { dataKey } from "../../src/kv/keyspace.ts";
import { LeaseTable } from "../../src/kv/lease_table.ts";
import { indexKey, MvccNamespace } from "../../src/kv/mvcc_keys.ts";
import { RevisionWriter } from "../../src/kv/revision_writer.ts";
import { type EngineReader, WriteSet } from "../../src/kv/write_set.ts";
import type { WriteOp } from "../../src/storage/db.ts";
import { compareBytes, toHex, utf8 } from "../../src/util/bytes.ts";

/** An engine holding `entries` (sorted here), for reads through a set. */
function engine(entries: [Uint8Array, Uint8Array][]): EngineReader {
  const sorted = [...entries].sort((a, b) => compareBytes(a[0], b[0]));
  return {
    get: (k) => sorted.find(([x]) => compareBytes(x, k) === 0)?.[1],
    scanSync: ({ start, end }) =>
      sorted.filter(([k]) => compareBytes(k, start) >= 0 && compareBytes(k, end) < 0),
  };
}

const EMPTY = engine([]);

/** A write's key as hex (the sets here only hold byte keys). */
const hexOf = (k: Uint8Array | string) => typeof k === "string" ? k : toHex(k);

function opsOf(ws: WriteSet, prefix: number): WriteOp[] {
  return ws.ops().filter((o) => typeof o.key !== "string" && o.key[0] === prefix);
}

test("write set: fresh puts reach ops, scans and the parent; a later delete wins", () => {
  const parent = new WriteSet(EMPTY);
  const staged = new WriteSet(parent);
  staged.putFresh(utf8("\x03a"), utf8("1"));
  staged.put(utf8("\x03b"), utf8("2"));
  assert.equal(staged.size, 2);
  assert.equal(staged.get(utf8("\x03b"))?.length, 1, "a map write reads back");
  assert.deepEqual(
    [...staged.scan(utf8("\x03"), utf8("\x04"))].map(([k]) => toHex(k)),
    [toHex(utf8("\x03a")), toHex(utf8("\x03b"))],
  );
  staged.mergeInto(parent);
  assert.equal(parent.size, 2);
  assert.equal(parent.bytes, staged.bytes);
  // A delete of the fresh key later in the pass: the scan shows nothing, the batch ends with it.
  parent.delete(utf8("\x03a"));
  assert.deepEqual([...parent.scan(utf8("\x03"), utf8("\x04"))].map(([k]) => toHex(k)), [
    toHex(utf8("\x03b")),
  ]);
  const ops = parent.ops().filter((o) => hexOf(o.key) === toHex(utf8("\x03a")));
  assert.deepEqual(ops.map((o) => o.type), ["put", "del"], "the delete comes last: it wins");
  // A staged set that is dropped leaves its fresh writes out of the parent.
  const dropped = new WriteSet(parent);
  dropped.putFresh(utf8("\x03c"), utf8("3"));
  assert.equal(parent.ops().some((o) => hexOf(o.key) === toHex(utf8("\x03c"))), false);
  parent.clear();
  assert.equal(parent.size, 0);
  assert.deepEqual(parent.ops(), []);
});

test("write set: a read says whether any set of the chain holds the key", () => {
  const k = utf8("\x02k");
  const parent = new WriteSet(engine([[k, utf8("v")]]));
  const staged = new WriteSet(parent);
  staged.getById("\x02k", k);
  assert.equal(staged.lastGetPending, false, "from the engine");
  parent.put(k, utf8("w"));
  assert.equal(staged.getById("\x02k", k)?.length, 1);
  assert.equal(staged.lastGetPending, true, "from the parent's writes");
  parent.getById("\x02other", utf8("\x02other"));
  assert.equal(parent.lastGetPending, false);
  assert.equal(staged.getById("\x02k", k)?.length, 1);
  assert.equal(staged.lastGetPending, true);
});

test("revision writer: one key index entry per key and revision, history never lost", () => {
  const key = utf8("k");
  const stored = { key, value: utf8("old"), createRevision: 2, modRevision: 2, version: 1 };
  const old = encodeCurrent({ ...stored, lease: 0, expireAtMs: 0 });
  const ws = new WriteSet(engine([[dataKey(key), old]]));
  const w = new RevisionWriter(ws, 9, new LeaseTable());
  // A SET of a key the engine holds (its index entry is new), then two more changes at the
  // same revision, as MULTI SET k; DEL k; SET k would make.
  w.put(key, utf8("a"), 0, w.current(key));
  w.delete(key);
  w.put(key, utf8("b"), 0);
  const other = utf8("z");
  w.put(other, utf8("c"), 0, w.current(other));
  const index = opsOf(ws, MvccNamespace.KeyIndex);
  const ofKey = index.filter((o) => hexOf(o.key) === toHex(indexKey(key, 9)));
  assert.equal(ofKey.length, 1, "one entry for (k, 9)");
  const last = ofKey[0];
  assert.equal(last.type, "put");
  const value = last.type === "put" && typeof last.value !== "string" ? last.value : undefined;
  assert.equal(decodeIndexEntry(value ?? assert.fail()).sub, 2, "the last change");
  assert.equal(index.filter((o) => hexOf(o.key) === toHex(indexKey(other, 9))).length, 1);
  const history = ws.ops().filter((o) => hexOf(o.key).startsWith("10") && o.type === "put");
  assert.equal(history.length, 4, "four changes, four history records");
  assert.equal(new Set(history.map((o) => hexOf(o.key))).size, 4);
  assert.equal(ws.size, ws.ops().length, "size counts each key once");
});

test("revision writer: a key changed again at one revision by a later staged request", () => {
  const ws = new WriteSet(EMPTY);
  const w = new RevisionWriter(ws, 5, new LeaseTable());
  const key = utf8("k");
  for (const value of ["a", "b", "c"]) {
    const staged = new WriteSet(ws);
    const sw = w.stage(staged, w.leases);
    sw.put(key, utf8(value), 0, sw.current(key));
    assert.equal(staged.size, staged.ops().length, "a staged set's size is exact");
    staged.mergeInto(ws);
    w.absorb(sw);
  }
  const ofKey = opsOf(ws, MvccNamespace.KeyIndex);
  assert.equal(ofKey.length, 1, "one entry for (k, 5)");
  const value = ofKey[0].type === "put" && typeof ofKey[0].value !== "string"
    ? ofKey[0].value
    : undefined;
  assert.equal(decodeIndexEntry(value ?? assert.fail()).sub, 2, "the third change");
  assert.equal(w.current(key)?.version, 3);
  assert.equal(ws.size, ws.ops().length);
  // The pass's set now tracks its fresh writes: a request on other keys still counts exactly.
  const staged = new WriteSet(ws);
  const sw = w.stage(staged, w.leases);
  sw.put(utf8("m"), utf8("d"), 0, sw.current(utf8("m")));
  staged.mergeInto(ws);
  w.absorb(sw);
  assert.equal(ws.size, ws.ops().length);
  assert.equal(ws.size, 2 + 4 + 2, "two records, four history records, two index entries");
});
