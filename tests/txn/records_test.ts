import { test } from "node:test";
import assert from "node:assert/strict";
import {
  decodeLock,
  decodeWrite,
  encodeLock,
  encodeWrite,
  type LockRecord,
  type WriteRecord,
} from "../../src/txn/records.ts";
import {
  lockKey,
  parseLockKey,
  parseWriteKey,
  TxnNamespace,
  writeBound,
  writeKey,
  writeKeyEnd,
} from "../../src/txn/txn_keys.ts";
import { DecodeError } from "../../src/util/coding.ts";
import { compareBytes, utf8 } from "../../src/util/bytes.ts";
import { createPrng } from "../../src/util/prng.ts";

const LOCK: LockRecord = {
  kind: "put",
  startTs: 2 ** 52 + 7,
  primary: utf8("primary"),
  ttlMs: 3000,
  lockedAtMs: 1_790_000_000_000,
  value: Uint8Array.of(0, 1, 2, 255),
};

test("records: locks and write records round-trip, every kind", () => {
  assert.deepEqual(decodeLock(encodeLock(LOCK)), LOCK);
  for (const kind of ["delete", "lock"] as const) {
    const lock: LockRecord = { kind, startTs: 1, primary: utf8("p"), ttlMs: 1, lockedAtMs: 0 };
    assert.deepEqual(decodeLock(encodeLock(lock)), lock);
  }
  const writes: WriteRecord[] = [
    { kind: "put", startTs: 5, value: utf8("v") },
    { kind: "put", startTs: 5, value: new Uint8Array(0) },
    { kind: "delete", startTs: 6 },
    { kind: "lock", startTs: 7 },
    { kind: "rollback", startTs: 2 ** 53 - 1 },
  ];
  for (const w of writes) assert.deepEqual(decodeWrite(encodeWrite(w)), w);
});

test("records: bad bytes give a DecodeError, never a half-read record", () => {
  const lock = encodeLock(LOCK);
  const write = encodeWrite({ kind: "put", startTs: 9, value: utf8("value") });
  const bad: [string, Uint8Array, (b: Uint8Array) => unknown][] = [
    ["empty lock", new Uint8Array(0), decodeLock],
    ["empty write", new Uint8Array(0), decodeWrite],
    ["unknown version", Uint8Array.of(2, ...lock.subarray(1)), decodeLock],
    ["unknown kind", Uint8Array.of(1, 9, ...lock.subarray(2)), decodeLock],
    ["a lock of kind rollback", Uint8Array.of(1, 4, ...lock.subarray(2)), decodeLock],
    ["unknown write kind", Uint8Array.of(1, 0, 1), decodeWrite],
    ["trailing bytes", Uint8Array.of(...write, 0), decodeWrite],
    ["trailing lock bytes", Uint8Array.of(...lock, 1), decodeLock],
    [
      "a timestamp past 2^53",
      Uint8Array.of(1, 2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f),
      decodeWrite,
    ],
  ];
  for (let cut = 1; cut < lock.length; cut++) {
    bad.push([`lock cut at ${cut}`, lock.subarray(0, cut), decodeLock]);
  }
  for (let cut = 1; cut < write.length; cut++) {
    bad.push([`write cut at ${cut}`, write.subarray(0, cut), decodeWrite]);
  }
  for (const [what, bytes, decode] of bad) {
    assert.throws(() => decode(bytes), DecodeError, what);
  }
});

test("keys: write records sort by user key, then newest first, 0x00 bytes included", () => {
  const keys = [
    utf8("a"),
    Uint8Array.of(0x61, 0),
    Uint8Array.of(0x61, 0, 0),
    Uint8Array.of(0x61, 1),
    utf8("b"),
  ];
  const encoded: Uint8Array[] = [];
  for (const key of keys) {
    for (const ts of [2 ** 53 - 1, 2 ** 32 + 1, 2 ** 32, 70_000, 1, 0]) {
      encoded.push(writeKey(key, ts));
    }
  }
  const sorted = [...encoded].sort(compareBytes);
  assert.deepEqual(sorted, encoded, "already in order: key ascending, timestamp descending");
  for (const key of keys) {
    const parsed = parseWriteKey(writeKey(key, 123_456_789_012));
    assert.deepEqual(parsed, { key, ts: 123_456_789_012 });
    // Every record of the key lies in [writeBound(key), writeKeyEnd(key)).
    assert.ok(compareBytes(writeBound(key), writeKey(key, 2 ** 53 - 1)) < 0);
    assert.ok(compareBytes(writeKey(key, 0), writeKeyEnd(key)) < 0);
  }
  // The end of "a" is below the first record of "a\0".
  assert.ok(
    compareBytes(writeKeyEnd(utf8("a")), writeKey(Uint8Array.of(0x61, 0), 2 ** 53 - 1)) < 0,
  );
});

test("keys: lock keys keep user-key order; malformed keys give a DecodeError", () => {
  assert.ok(compareBytes(lockKey(utf8("a")), lockKey(Uint8Array.of(0x61, 0))) < 0);
  assert.deepEqual(parseLockKey(lockKey(utf8("k"))), utf8("k"));
  assert.throws(() => parseLockKey(Uint8Array.of(TxnNamespace.Write, 1)), DecodeError);
  const good = writeKey(Uint8Array.of(0x61, 0), 5);
  const malformed = [
    new Uint8Array(0),
    good.subarray(0, good.length - 1),
    Uint8Array.of(TxnNamespace.Lock, ...good.subarray(1)),
    // An unescaped 0x00 inside the key.
    Uint8Array.of(TxnNamespace.Write, 0x61, 0, 0x62, 0, 1, ...new Uint8Array(8)),
    // A complemented timestamp of 2^64 - 1.
    Uint8Array.of(TxnNamespace.Write, 0x61, 0, 1, ...new Uint8Array(8)),
  ];
  for (const k of malformed) assert.throws(() => parseWriteKey(k), DecodeError);
});

test("records: random bytes decode to a record or a DecodeError, nothing else", () => {
  const prng = createPrng(14);
  let decoded = 0;
  for (let i = 0; i < 3000; i++) {
    const bytes = prng.fill(new Uint8Array(prng.int(24)));
    if (prng.chance(0.5) && bytes.length > 1) bytes[0] = 1; // past the version byte more often
    if (prng.chance(0.5) && bytes.length > 2) bytes[1] = 1 + prng.int(4);
    for (const decode of [decodeLock, decodeWrite]) {
      try {
        decode(bytes);
        decoded++;
      } catch (e) {
        assert.ok(e instanceof DecodeError, String(e));
      }
    }
  }
  assert.ok(decoded > 0, "some random records are valid");
});
