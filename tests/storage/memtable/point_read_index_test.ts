import { test } from "node:test";
import assert from "node:assert/strict";
import { ValueKind } from "../../../src/storage/internal_key.ts";
import { Memtable } from "../../../src/storage/memtable/memtable.ts";
import { encodeBatch, type WriteOp } from "../../../src/storage/write_batch.ts";
import { fromUtf8, utf8 } from "../../../src/util/bytes.ts";
import { createPrng } from "../../../src/util/prng.ts";

interface Version {
  readonly seq: number;
  readonly value: string;
}

/** The newest version of `key` at or below `seq` in a plain list of every write. */
function expected(log: Map<string, Version[]>, key: string, seq: number): string | undefined {
  let best: Version | undefined;
  for (const v of log.get(key) ?? []) if (v.seq <= seq && (best?.seq ?? 0) < v.seq) best = v;
  return best?.value;
}

test("point reads by first byte: keys indexed at their first read, older writes included", () => {
  const p = createPrng(21);
  const m = new Memtable(p, 1);
  const log = new Map<string, Version[]>();
  // First bytes a..e; "c-238098" and "c-810216" share a hash slot.
  const keys = ["c-238098", "c-810216"];
  for (const b of "abcde") for (let i = 0; i < 40; i++) keys.push(`${b}-${i}`);
  let seq = 1;
  const write = (key: string, value: string) => {
    const list = log.get(key) ?? [];
    list.push({ seq, value });
    log.set(key, list);
  };
  for (let round = 0; round < 30; round++) {
    // Sometimes a batch (sorted insert), sometimes entry by entry.
    const n = 1 + p.int(40);
    const puts: [string, string][] = [];
    const used = new Set<string>();
    for (let i = 0; i < n; i++) {
      const key = keys[p.int(keys.length)];
      if (!used.has(key)) puts.push([key, `${key}@${round}`]);
      used.add(key);
    }
    if (round % 2 === 0) {
      const ops: WriteOp[] = puts.map(([k, v]) => ({ type: "put", key: utf8(k), value: utf8(v) }));
      m.addBatch(encodeBatch(ops), seq);
      for (const [k, v] of puts) write(k, v), seq++;
    } else {
      for (const [k, v] of puts) {
        m.add(seq, ValueKind.Put, utf8(k), utf8(v));
        write(k, v);
        seq++;
      }
    }
    // Read a few keys (their first bytes start being indexed) at the latest and older seqs.
    for (let r = 0; r < 5; r++) {
      const key = round < 10 && r > 0 ? `a-${p.int(40)}` : keys[p.int(keys.length)];
      for (const at of [seq, 1 + p.int(seq)]) {
        const got = m.get(utf8(key), at);
        assert.equal(got === undefined ? undefined : fromUtf8(got.value), expected(log, key, at));
      }
    }
  }
  // Every key at every sequence, once all bytes are indexed.
  for (const key of [...keys, "f-0", "b-99"]) {
    for (let at = 1; at <= seq; at += 7) {
      const got = m.get(utf8(key), at);
      assert.equal(got === undefined ? undefined : fromUtf8(got.value), expected(log, key, at));
    }
  }
  assert.deepEqual(
    [...m.pointReadBytes()].flatMap((v, b) => v === 1 ? [b] : []),
    [
      ..."abcdef",
    ].map((c) => c.charCodeAt(0)),
  );
});

test("point reads: the next memtable starts with the bytes read before; empty keys", () => {
  const m = new Memtable(createPrng(4), 1);
  m.add(1, ValueKind.Put, utf8("x1"), utf8("old"));
  m.add(2, ValueKind.Put, utf8("x1"), utf8("new"));
  m.add(3, ValueKind.Put, utf8("y1"), utf8("y"));
  assert.equal(fromUtf8(m.get(utf8("x1"), 10)?.value ?? utf8("")), "new");
  assert.equal(fromUtf8(m.get(utf8("x1"), 1)?.value ?? utf8("")), "old");
  const next = new Memtable(createPrng(5), 2, m.pointReadBytes());
  assert.equal(next.pointReadBytes()[0x78], 1);
  assert.equal(next.pointReadBytes()[0x79], 0);
  next.add(4, ValueKind.Put, utf8("x1"), utf8("next"));
  next.add(5, ValueKind.Put, utf8("y1"), utf8("y2"));
  assert.equal(fromUtf8(next.get(utf8("x1"), 10)?.value ?? utf8("")), "next");
  assert.equal(fromUtf8(next.get(utf8("y1"), 10)?.value ?? utf8("")), "y2");
  assert.equal(m.pointReadBytes()[0x79], 0, "the hint is a copy");
  assert.equal(next.get(new Uint8Array(0), 10), undefined);
  next.add(6, ValueKind.Put, new Uint8Array(0), utf8("empty"));
  assert.equal(fromUtf8(next.get(new Uint8Array(0), 10)?.value ?? utf8("")), "empty");
});
