import { test } from "node:test";
import assert from "node:assert/strict";
import { ValueKind } from "../../../src/storage/internal_key.ts";
import { Memtable } from "../../../src/storage/memtable/memtable.ts";
import { encodeBatch, type WriteOp } from "../../../src/storage/write_batch.ts";
import { compareBytes } from "../../../src/util/bytes.ts";
import { createPrng, type Prng } from "../../../src/util/prng.ts";

/** Keys that stress the inline prefix words: shared prefixes, prefixes of each other, 0x00/0xff. */
function randomKey(p: Prng): Uint8Array {
  const shapes = [
    () => new Uint8Array([p.int(3)]),
    () => new Uint8Array(p.int(4)).map(() => [0, 1, 0xfe, 0xff][p.int(4)]),
    () => new TextEncoder().encode(String(p.int(500)).padStart(16, "0")),
    () => new TextEncoder().encode(`shared-prefix-longer-than-18/${p.int(40)}`),
    () => new Uint8Array(17 + p.int(4)).fill(0xff).map((b, i) => (i === 16 ? p.int(2) : b)),
    // 18–35 bytes that differ (if at all) in one byte past 18: a run's words cover 30 bytes.
    () => new Uint8Array(18 + p.int(18)).fill(7).map((b, i) => (i === 18 + p.int(18) ? 8 : b)),
  ];
  return shapes[p.int(shapes.length)]();
}

interface Entry {
  key: Uint8Array;
  seq: number;
  kind: ValueKind;
  value: Uint8Array;
}

/** Internal order: user key ascending, sequence descending. */
const internalOrder = (a: Entry, b: Entry) => compareBytes(a.key, b.key) || b.seq - a.seq;

function fill(seed: number, batched: boolean): { mem: Memtable; model: Entry[] } {
  const p = createPrng(seed);
  const mem = new Memtable(createPrng(seed + 1), 1);
  const model: Entry[] = [];
  let seq = 0;
  for (let b = 0; b < 12; b++) {
    const ops: WriteOp[] = [];
    const n = [1, 5, 16, 40, 200][p.int(5)];
    for (let i = 0; i < n; i++) {
      const key = randomKey(p);
      if (p.int(4) === 0) ops.push({ type: "del", key });
      else ops.push({ type: "put", key, value: new Uint8Array([b, i & 0xff]) });
    }
    // Half the batches arrive in key order (the already-sorted path).
    if (p.int(2) === 0) ops.sort((x, y) => compareBytes(x.key as Uint8Array, y.key as Uint8Array));
    const enc = encodeBatch(ops);
    ops.forEach((op, i) =>
      model.push({
        key: op.key as Uint8Array,
        seq: seq + 1 + i,
        kind: op.type === "put" ? ValueKind.Put : ValueKind.Delete,
        value: op.type === "put" ? op.value as Uint8Array : new Uint8Array(0),
      })
    );
    if (batched) mem.addBatch(enc, seq + 1);
    else {
      for (const e of model.slice(seq)) {
        mem.add(e.seq, e.kind, e.key, e.kind === ValueKind.Put ? e.value : undefined);
      }
    }
    seq += n;
  }
  return { mem, model };
}

for (const seed of [1, 2, 3, 4, 5, 6]) {
  test(`memtable batch insert (seed ${seed}): internal order, point reads, snapshots`, () => {
    const { mem, model } = fill(seed, true);
    const want = [...model].sort(internalOrder);
    const got: Entry[] = [];
    const c = mem.cursor();
    for (c.seekToFirst(); c.valid(); c.next()) {
      got.push({ key: c.key().slice(), seq: c.seq(), kind: c.kind(), value: c.value().slice() });
    }
    assert.deepEqual(got, want);
    assert.equal(mem.count, model.length);
    assert.equal(mem.lastSeq, model.length);
    // Reverse order, as a reverse scan walks it.
    const back: number[] = [];
    for (c.seekToLast(); c.valid(); c.prev()) back.push(c.seq());
    assert.deepEqual(back, want.map((e) => e.seq).reverse());
    // Point reads at every fifth sequence see the newest entry at or below it.
    for (let at = 1; at <= model.length; at += 5) {
      for (const e of model.slice(0, 30)) {
        const expect = model.filter((m) => compareBytes(m.key, e.key) === 0 && m.seq <= at)
          .at(-1);
        assert.equal(mem.get(e.key, at)?.seq, expect?.seq);
      }
    }
  });
}

test("memtable batch insert matches entry-by-entry inserts (same order and bytes)", () => {
  const a = fill(9, true).mem, b = fill(9, false).mem;
  const ca = a.cursor(), cb = b.cursor();
  ca.seekToFirst();
  cb.seekToFirst();
  let n = 0;
  for (; ca.valid() && cb.valid(); ca.next(), cb.next(), n++) {
    assert.deepEqual([ca.key(), ca.seq(), ca.kind()], [cb.key(), cb.seq(), cb.kind()]);
  }
  assert.equal(ca.valid(), cb.valid());
  assert.equal(n, a.count);
  assert.equal(a.bytes, b.bytes);
});

test("memtable batch insert refuses a sequence that does not grow", () => {
  const mem = new Memtable(createPrng(1), 1);
  mem.addBatch(encodeBatch([{ type: "put", key: "a", value: "1" }]), 5);
  assert.throws(() => mem.addBatch(encodeBatch([{ type: "del", key: "a" }]), 5), /sequence/);
});

/** Every (key, sequence) the memtable's cursors walk (one per source), in internal order. */
function walked(mem: Memtable): [Uint8Array, number][] {
  const out: [Uint8Array, number][] = [];
  for (const c of mem.cursors()) {
    for (c.seekToFirst(); c.valid(); c.next()) out.push([c.key().slice(), c.seq()]);
  }
  return out.sort((a, b) => compareBytes(a[0], b[0]) || b[1] - a[1]);
}

for (const seed of [11, 12, 13, 14]) {
  test(`memtable small batches between reads (seed ${seed}): the pending tail is always seen`, () => {
    // Many regions' apply passes: batches of 1-5 ops, with point reads (newest and older
    // snapshots), cursors and new first bytes read in between, before a tail could fill.
    const p = createPrng(seed);
    const mem = new Memtable(createPrng(seed + 1), 1);
    const model: Entry[] = [];
    for (let b = 0; b < 300; b++) {
      const ops: WriteOp[] = [];
      for (let i = 0, n = 1 + p.int(5); i < n; i++) {
        const key = randomKey(p);
        if (p.int(5) === 0) ops.push({ type: "del", key });
        else ops.push({ type: "put", key, value: new Uint8Array([b & 0xff, i]) });
      }
      const first = model.length + 1;
      mem.addBatch(encodeBatch(ops), first);
      ops.forEach((op, i) =>
        model.push({
          key: op.key as Uint8Array,
          seq: first + i,
          kind: op.type === "put" ? ValueKind.Put : ValueKind.Delete,
          value: op.type === "put" ? op.value as Uint8Array : new Uint8Array(0),
        })
      );
      assert.equal(mem.count, model.length);
      const probe = model[p.int(model.length)];
      const at = p.int(3) === 0 ? 1 + p.int(model.length) : model.length;
      const expect = model.filter((m) => compareBytes(m.key, probe.key) === 0 && m.seq <= at)
        .at(-1);
      const got = mem.get(probe.key, at);
      assert.equal(got?.seq, expect?.seq, `batch ${b}: get at ${at}`);
      assert.equal(got?.kind, expect?.kind);
      if (p.int(10) === 0) {
        const want = [...model].sort(internalOrder).map((e): [Uint8Array, number] => [
          e.key,
          e.seq,
        ]);
        assert.deepEqual(walked(mem), want, `batch ${b}: cursors`);
      }
    }
    const c = mem.cursor();
    const seqs: number[] = [];
    for (c.seekToFirst(); c.valid(); c.next()) seqs.push(c.seq());
    assert.deepEqual(seqs, [...model].sort(internalOrder).map((e) => e.seq));
  });
}
