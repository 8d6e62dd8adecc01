/**
 * The transactional reads a node carries to a region's leader, and their answers, as bytes
 * (src/txn/txn_read_codec.ts): every kind round-trips (a lock without its value), and truncated,
 * over-long or unknown bytes are DecodeErrors, never a half-read request.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { TXN_SCAN_ENTRIES_MAX } from "../../src/limits_ops.ts";
import type { TxnReadReply, TxnReadRequest } from "../../src/txn/region_txn.ts";
import {
  decodeTxnRead,
  decodeTxnReadReply,
  encodeTxnRead,
  encodeTxnReadReply,
} from "../../src/txn/txn_read_codec.ts";
import { ByteWriter, DecodeError } from "../../src/util/coding.ts";
import { utf8 } from "../../src/util/bytes.ts";

const TS = 2 ** 40 + 7;
const LOCK = {
  key: utf8("k"),
  kind: "delete" as const,
  startTs: TS - 3,
  primary: utf8("p"),
  ttlMs: 3000,
  lockedAtMs: 1_800_000_000_000,
};

test("txn read codec: every request round-trips", () => {
  const requests: TxnReadRequest[] = [
    { kind: "get", key: utf8("a\x00b"), ts: TS },
    { kind: "scan", range: { start: utf8("a"), end: new Uint8Array(0) }, ts: TS, limit: 10 },
    { kind: "scanExpiredLocks", limit: 256 },
  ];
  for (const r of requests) assert.deepEqual(decodeTxnRead(encodeTxnRead(r)), r);
});

test("txn read codec: every reply round-trips; a put lock loses its value", () => {
  const replies: TxnReadReply[] = [
    { kind: "get", get: { kind: "value" } },
    { kind: "get", get: { kind: "value", value: utf8("v"), commitTs: TS } },
    { kind: "get", get: { kind: "locked", lock: LOCK } },
    { kind: "scan", scan: { entries: [{ key: utf8("a"), value: utf8("1"), commitTs: TS }] } },
    { kind: "scan", scan: { entries: [], lock: LOCK } },
    { kind: "locks", locks: [LOCK, { ...LOCK, key: utf8("z") }] },
  ];
  for (const r of replies) assert.deepEqual(decodeTxnReadReply(encodeTxnReadReply(r)), r);
  const put = { ...LOCK, kind: "put" as const, value: utf8("secret") };
  const got = decodeTxnReadReply(encodeTxnReadReply({ kind: "locks", locks: [put] }));
  assert.deepEqual(got, { kind: "locks", locks: [{ ...put, value: new Uint8Array(0) }] });
});

test("txn read codec: malformed bytes are DecodeErrors", () => {
  const good = encodeTxnRead({ kind: "get", key: utf8("key"), ts: TS });
  for (let n = 0; n < good.length; n++) {
    assert.throws(() => decodeTxnRead(good.subarray(0, n)), DecodeError, `cut at ${n}`);
  }
  assert.throws(() => decodeTxnRead(Uint8Array.of(...good, 0)), DecodeError, "a byte after");
  assert.throws(() => decodeTxnRead(Uint8Array.of(1, 9)), DecodeError, "unknown kind");
  assert.throws(() => decodeTxnRead(Uint8Array.of(2, 1)), DecodeError, "unknown version");
  const many = new ByteWriter(8).u8(1).u8(2).varint(TXN_SCAN_ENTRIES_MAX + 1).finish();
  assert.throws(() => decodeTxnReadReply(many), DecodeError, "too many entries");
});
