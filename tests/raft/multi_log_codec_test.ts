import { test } from "node:test";
import assert from "node:assert/strict";
import { ByteWriter, DecodeError } from "../../src/util/coding.ts";
import { concatBytes } from "../../src/util/bytes.ts";
import { LogRecordKind } from "../../src/raft/log_codec.ts";
import {
  decodeMultiLogRecord,
  encodeRegionRecords,
  encodeRegionRemoved,
} from "../../src/raft/multi_log_codec.ts";
import { CS, ents } from "./multi_log_helpers.ts";

function encode(region: number, maxBytes: number, entries = ents(region, 5, 14, 3)) {
  const payloads: Uint8Array[] = [];
  encodeRegionRecords(
    new ByteWriter(64),
    region,
    [
      { kind: LogRecordKind.Snapshot, metadata: { index: 4, term: 2, confState: CS } },
      { kind: LogRecordKind.Entries, entries },
      { kind: LogRecordKind.HardState, hardState: { term: 3, vote: 2, commit: 9 } },
    ],
    maxBytes,
    // A large entry's record comes as its head and the entry's data: one payload on disk.
    (p, tail) => payloads.push(tail === undefined ? p.slice() : concatBytes([p, tail])),
  );
  return payloads;
}

test("multi log codec: a region's records share one payload and decode back", () => {
  const [payload, ...rest] = encode(2 ** 52, 1 << 20);
  assert.equal(rest.length, 0);
  const m = decodeMultiLogRecord(payload);
  assert.ok(!m.removed);
  assert.equal(m.region, 2 ** 52);
  assert.deepEqual(m.recs.map((r) => r.kind), [4, 1, 2]);
  const e = m.recs[1];
  assert.ok(e.kind === LogRecordKind.Entries);
  assert.deepEqual(e.entries.map((x) => x.index), [5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
});

test("multi log codec: a large batch is split into payloads of about maxBytes, in order", () => {
  const payloads = encode(7, 100);
  assert.ok(payloads.length > 3, `${payloads.length} payloads`);
  const recs = payloads.map(decodeMultiLogRecord).flatMap((m) => (m.removed ? [] : m.recs));
  const indexes = recs.flatMap((r) => (r.kind === LogRecordKind.Entries ? r.entries : []))
    .map((e) => e.index);
  assert.deepEqual(indexes, [5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
  assert.equal(recs[0].kind, LogRecordKind.Snapshot);
  assert.equal(recs[recs.length - 1].kind, LogRecordKind.HardState);
  for (const p of payloads) assert.ok(p.length <= 100 + 64, `payload of ${p.length} bytes`);
  const big = ents(7, 1, 1, 1).map((e) => ({ ...e, data: new Uint8Array(1000) }));
  assert.equal(encode(7, 150, big).length, 3, "marker | the large entry alone | hard state");
});

test("multi log codec: a removal, and bytes that are not records, are told apart", () => {
  const w = new ByteWriter(16);
  assert.deepEqual(decodeMultiLogRecord(encodeRegionRemoved(w, 9).slice()), {
    region: 9,
    removed: true,
  });
  assert.throws(() => decodeMultiLogRecord(new Uint8Array([9, 6, 0])), DecodeError);
  assert.throws(() => decodeMultiLogRecord(new Uint8Array([9])), DecodeError);
  assert.throws(() => decodeMultiLogRecord(new Uint8Array([9, 2, 1, 1])), DecodeError);
  assert.throws(() => decodeMultiLogRecord(new Uint8Array([9, 77])), DecodeError);
  const [ok] = encode(3, 1 << 20);
  assert.throws(() => decodeMultiLogRecord(ok.subarray(0, ok.length - 1)), DecodeError);
});

test("multi log codec: an entry larger than maxBytes is emitted as its head and its own data", () => {
  const big = new Uint8Array(5000).map((_, i) => i & 0xff);
  const entries = [...ents(3, 1, 2, 1), { ...ents(3, 3, 3, 1)[0], data: big }, ...ents(3, 4, 5, 1)];
  const got: { payload: Uint8Array; tail?: Uint8Array }[] = [];
  encodeRegionRecords(
    new ByteWriter(64),
    3,
    [{ kind: LogRecordKind.Entries, entries }],
    1000,
    (payload, tail) => got.push({ payload: payload.slice(), tail }),
  );
  assert.deepEqual(got.map((g) => g.tail === undefined), [true, false, true]);
  assert.equal(got[1].tail, big, "the entry's own array, not a copy");
  const decoded = got.map((g) =>
    decodeMultiLogRecord(g.tail === undefined ? g.payload : concatBytes([g.payload, g.tail]))
  );
  const indexes = decoded.flatMap((m) =>
    m.removed ? [] : m.recs.flatMap((r) => r.kind === LogRecordKind.Entries ? r.entries : [])
  );
  assert.deepEqual(indexes.map((e) => e.index), [1, 2, 3, 4, 5]);
  assert.deepEqual(indexes[2].data, big);
});
