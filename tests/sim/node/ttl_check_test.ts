/**
 * The expiry check (src/sim/ttl_check.ts) accepts a correct history with TTL
 * puts, an expire, a sweep and a put over an expired key, and catches each
 * planted violation: a read of a key after its expiry, a sweep before the
 * expiry was due, a delete of a key without an expiry, a put whose expiry is
 * not what it asked, an expiry change no expire asked for, a stale read, and a
 * transaction range that returns an expired key or misses a present one.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { KvEvent } from "../../../src/kv/key_state.ts";
import { RevHistory } from "../../../src/sim/rev_model.ts";
import { checkExpiry } from "../../../src/sim/ttl_check.ts";
import type { TtlOp } from "../../../src/sim/ttl_ops.ts";
import { utf8 } from "../../../src/util/bytes.ts";

/** [revision, key, value (null: delete), expireAtMs, version, createRevision]. */
type Row = [number, string, string | null, number?, number?, number?];

function historyOf(rows: readonly Row[]): RevHistory {
  const h = new RevHistory();
  for (const [rev, key, value, expireAtMs = 0, version, created] of rows) {
    const prev = h.stateAt(key, rev);
    const kv = {
      key: utf8(key),
      value: utf8(value ?? ""),
      createRevision: value === null ? 0 : created ?? prev?.createRevision ?? rev,
      modRevision: rev,
      version: value === null ? 0 : version ?? (prev?.version ?? 0) + 1,
      lease: 0,
      expireAtMs: value === null ? 0 : expireAtMs,
    };
    const e: KvEvent = { type: value === null ? "delete" : "put", kv };
    h.add([e]);
  }
  return h;
}

const base = { client: "c1", outcome: "ok" as const };
const put = (
  key: string,
  value: string,
  call: number,
  ret: number,
  revision: number,
  ttlMs?: number,
) => ({ ...base, kind: "put", key, value, call, ret, revision, ttlMs }) satisfies TtlOp;
const get = (key: string, value: string | undefined, expireAtMs: number, call: number) =>
  ({
    ...base,
    client: "c2",
    kind: "get",
    key,
    call,
    ret: call + 5,
    seen: value === undefined ? [] : [{ key, value, expireAtMs }],
  }) satisfies TtlOp;
const isTtl = (k: string) => k.startsWith("x/");

/** A correct run: v1 (ttl 500 at ~1000) read, persisted, re-expired, swept, then v2. */
const GOOD_ROWS: Row[] = [[5, "x/0", "v1", 1505], [7, "x/0", null], [9, "x/0", "v2", 0]];
const GOOD_OPS: TtlOp[] = [
  put("x/0", "v1", 1000, 1010, 5, 500),
  get("x/0", "v1", 1505, 1200),
  put("x/0", "v2", 1590, 1600, 9),
  get("x/0", undefined, 0, 1510),
  get("x/0", "v2", 0, 1700),
];

test("a correct history with a TTL put, reads and a sweep passes", () => {
  const r = checkExpiry(GOOD_OPS, historyOf(GOOD_ROWS), isTtl);
  assert.deepEqual(r.violations, []);
  assert.equal(r.swept, 1);
  assert.equal(r.reads, 3);
  assert.equal(r.expiring, 1);
});

test("a read called at or after the key's expiry that returns it is caught", () => {
  const ops = [...GOOD_OPS, get("x/0", "v1", 1505, 1505)];
  const r = checkExpiry(ops, historyOf(GOOD_ROWS), isTtl);
  assert.equal(r.ok, false);
  assert.match(r.violations.join("\n"), /returned x\/0=v1 expired at 1505/);
});

test("a sweep observed before the expiry was due is caught", () => {
  const ops = [...GOOD_OPS.filter((o) => o.value !== "v2"), put("x/0", "v2", 1390, 1400, 9)];
  const r = checkExpiry(ops, historyOf(GOOD_ROWS), isTtl);
  assert.match(r.violations.join("\n"), /x\/0 deleted at 7, applied by 1400, expiry 1505 not due/);
});

test("a delete no client made of a key without an expiry is caught", () => {
  const rows: Row[] = [[5, "x/0", "v1", 0], [7, "x/0", null]];
  const r = checkExpiry([put("x/0", "v1", 1000, 1010, 5)], historyOf(rows), isTtl);
  assert.match(r.violations.join("\n"), /x\/0 deleted at 7 without an expiry/);
});

test("a put whose expiry is not the one it asked for is caught", () => {
  const rows: Row[] = [[5, "x/0", "v1", 3000]];
  const r = checkExpiry([put("x/0", "v1", 1000, 1010, 5, 500)], historyOf(rows), isTtl);
  assert.match(r.violations.join("\n"), /expiry 3000 is not what it asked/);
});

test("a put over an expired key re-creates it without a delete; due expiry passes", () => {
  const rows: Row[] = [[5, "x/0", "v1", 1505], [9, "x/0", "v2", 0, 1, 9]];
  const h = historyOf(rows);
  assert.deepEqual(h.problems, []);
  const ops = [put("x/0", "v1", 1000, 1010, 5, 500), put("x/0", "v2", 1590, 1600, 9)];
  assert.deepEqual(checkExpiry(ops, h, isTtl).violations, []);
  const early = [ops[0], put("x/0", "v2", 1390, 1400, 9)];
  assert.match(checkExpiry(early, h, isTtl).violations.join("\n"), /re-created at 9/);
});

test("an expiry change needs an expire that asked for it", () => {
  const rows: Row[] = [[5, "x/0", "v1", 1505], [6, "x/0", "v1", 0]];
  const ops: TtlOp[] = [put("x/0", "v1", 1000, 1010, 5, 500)];
  const persist: TtlOp = {
    ...base,
    kind: "expire",
    key: "x/0",
    persist: true,
    call: 1100,
    ret: 1110,
  };
  assert.deepEqual(checkExpiry([...ops, persist], historyOf(rows), isTtl).violations, []);
  assert.match(
    checkExpiry(ops, historyOf(rows), isTtl).violations.join("\n"),
    /expiry 0 at 6: no expire asked for it/,
  );
});

test("a read of a value overwritten before its call is caught", () => {
  const rows: Row[] = [[5, "x/0", "v1", 0], [9, "x/0", "v2", 0]];
  const ops = [
    put("x/0", "v1", 1000, 1010, 5),
    put("x/0", "v2", 1100, 1110, 9),
    get("x/0", "v1", 0, 1200),
  ];
  assert.match(
    checkExpiry(ops, historyOf(rows), isTtl).violations.join("\n"),
    /no state it could read/,
  );
});

const txn = (seen: [string, string, number][], revision: number, call: number) =>
  ({
    ...base,
    client: "c3",
    kind: "txn",
    key: "x/",
    call,
    ret: call + 10,
    revision,
    seen: seen.map(([key, value, expireAtMs]) => ({ key, value, expireAtMs })),
  }) satisfies TtlOp;

test("a transaction's range is checked at its revision, by its call and return", () => {
  const rows: Row[] = [[5, "x/0", "v1", 1505], [6, "x/1", "w1", 0], [7, "x/0", null]];
  const h = historyOf(rows);
  const writes = [put("x/0", "v1", 1000, 1010, 5, 500), put("x/1", "w1", 1000, 1010, 6)];
  const good = [txn([["x/0", "v1", 1505], ["x/1", "w1", 0]], 6, 1100), txn([], 5, 1500)];
  assert.deepEqual(checkExpiry([...writes, ...good], h, isTtl).violations, []);
  const expired = checkExpiry([...writes, txn([["x/0", "v1", 1505]], 6, 1505)], h, isTtl);
  assert.match(expired.violations.join("\n"), /returned x\/0=v1, absent or expired \(1505\)/);
  const missed = checkExpiry([...writes, txn([["x/0", "v1", 1505]], 6, 1100)], h, isTtl);
  assert.match(missed.violations.join("\n"), /at 6 missed x\/1=w1/);
});
