/**
 * RevisionWriter remembers the last record it read (a SET reads its key twice): a
 * write through its set in between, to that key or any other, means a fresh read.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { encodeCurrent } from "../../src/kv/key_record.ts";
import { dataKey } from "../../src/kv/keyspace.ts";
import { LeaseTable } from "../../src/kv/lease_table.ts";
import { RevisionWriter } from "../../src/kv/revision_writer.ts";
import { type EngineReader, WriteSet } from "../../src/kv/write_set.ts";
import { fromUtf8, utf8 } from "../../src/util/bytes.ts";

const empty: EngineReader = { get: () => undefined, scanSync: () => [] };

test("revision writer: a read after a write sees the write, for the same key object", () => {
  const ws = new WriteSet(empty);
  const w = new RevisionWriter(ws, 7, new LeaseTable());
  const key = utf8("k");
  assert.equal(w.stored(key), undefined);
  assert.equal(w.stored(key), undefined, "read again, nothing written: still absent");
  w.put(key, utf8("one"), 0);
  const s = w.stored(key);
  assert.equal(fromUtf8(s?.value ?? utf8("")), "one");
  assert.equal(s?.version, 1);
  w.put(key, utf8("two"), 0, w.current(key));
  assert.equal(fromUtf8(w.stored(key)?.value ?? utf8("")), "two");
  assert.equal(w.stored(key)?.version, 2);
  // A write through the set itself (not the writer) also means a fresh read.
  const raw = { ...(w.stored(key) ?? assert.fail()), modRevision: 3, value: utf8("raw") };
  ws.put(dataKey(key), encodeCurrent(raw));
  assert.equal(fromUtf8(w.stored(key)?.value ?? utf8("")), "raw");
  assert.equal(w.stored(key)?.modRevision, 3, "the record written behind the writer's back");
  w.delete(key, w.stored(key));
  assert.equal(w.stored(key), undefined);
  assert.equal(w.current(utf8("k")), undefined, "another key object reads the set too");
});
