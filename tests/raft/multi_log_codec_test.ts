import { test } from "node:test";
import assert from "node:assert/strict";
import { ByteWriter, DecodeError } from "../../src/util/coding.ts";
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
    (p) => payloads.push(p.slice()),
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
