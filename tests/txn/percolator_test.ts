import { test } from "node:test";
import assert from "node:assert/strict";
import { MemoryTxnStore } from "../../src/txn/txn_store.ts";
import {
  checkTxnStatus,
  commit,
  prewrite,
  resolveLock,
  rollback,
} from "../../src/txn/percolator.ts";
import { mvccGet } from "../../src/txn/mvcc_read.ts";
import type { Mutation } from "../../src/txn/txn_types.ts";
import { TxnInputError } from "../../src/txn/txn_types.ts";
import { lockRange } from "../../src/txn/txn_keys.ts";
import { fromUtf8, utf8 } from "../../src/util/bytes.ts";
import { KV_KEY_BYTES_MAX } from "../../src/limits.ts";
import { TXN_LOCK_TTL_MS_MAX, TXN_REGION_KEYS_MAX } from "../../src/limits_ops.ts";

const NOW = 1_800_000_000_000;
const put = (key: string, value: string): Mutation => ({
  kind: "put",
  key: utf8(key),
  value: utf8(value),
});
const del = (key: string): Mutation => ({ kind: "delete", key: utf8(key) });
const lockOnly = (key: string): Mutation => ({ kind: "lock", key: utf8(key) });

function pw(
  store: MemoryTxnStore,
  ms: Mutation[],
  startTs: number,
  primary = ms[0].key,
  nowMs = NOW,
) {
  return prewrite(store, { mutations: ms, primary, startTs, lockTtlMs: 100, nowMs });
}

/** Prewrites and commits `ms` in one go. */
function write(store: MemoryTxnStore, ms: Mutation[], startTs: number, commitTs: number) {
  assert.deepEqual(pw(store, ms, startTs), { ok: true });
  assert.deepEqual(commit(store, ms.map((m) => m.key), startTs, commitTs), { ok: true });
}

function read(store: MemoryTxnStore, key: string, ts: number): string | undefined {
  const got = mvccGet(store, utf8(key), ts);
  assert.equal(got.kind, "value", `read of ${key} at ${ts} is locked`);
  return got.kind === "value" && got.value !== undefined ? fromUtf8(got.value) : undefined;
}

function locks(store: MemoryTxnStore): number {
  const [s, e] = lockRange(new Uint8Array(0), new Uint8Array(0));
  return [...store.scan(s, e)].length;
}

test("percolator: a committed write is visible from its commit timestamp on, not before", () => {
  const store = new MemoryTxnStore();
  write(store, [put("k", "v1")], 10, 20);
  write(store, [put("k", "v2")], 30, 40);
  write(store, [del("k")], 50, 60);
  assert.equal(read(store, "k", 19), undefined);
  assert.equal(read(store, "k", 20), "v1");
  assert.equal(read(store, "k", 39), "v1");
  assert.equal(read(store, "k", 40), "v2");
  assert.equal(read(store, "k", 60), undefined, "a delete hides the older versions");
  // Lock-only commits and rollbacks are no versions: a read looks through them.
  write(store, [lockOnly("k2"), put("k3", "x")], 70, 80);
  write(store, [put("k2", "a")], 90, 100);
  write(store, [lockOnly("k2")], 110, 120);
  assert.deepEqual(rollback(store, [utf8("k2")], 130), { ok: true });
  assert.equal(read(store, "k2", 200), "a");
});

test("percolator: prewrite conflicts with a write committed after the start timestamp", () => {
  const store = new MemoryTxnStore();
  write(store, [put("k", "v")], 10, 20);
  assert.deepEqual(pw(store, [put("k", "late")], 15), {
    ok: false,
    error: { kind: "writeConflict", key: utf8("k"), commitTs: 20 },
  });
  // A lock-only mutation (a serializable read) conflicts the same way.
  assert.equal(pw(store, [lockOnly("k")], 19).ok, false);
  // Starting after the commit is fine.
  assert.deepEqual(pw(store, [put("k", "next")], 21), { ok: true });
});

test("percolator: rollbacks and lock-only commits of others are not write conflicts", () => {
  const store = new MemoryTxnStore();
  assert.deepEqual(rollback(store, [utf8("k")], 30), { ok: true });
  write(store, [lockOnly("k")], 40, 50);
  assert.deepEqual(pw(store, [put("k", "v")], 20), { ok: true });
});

test("percolator: prewrite conflicts with another transaction's lock, and reports it", () => {
  const store = new MemoryTxnStore();
  assert.deepEqual(pw(store, [put("a", "1"), put("b", "1")], 10), { ok: true });
  const r = pw(store, [put("c", "2"), put("b", "2")], 11);
  assert.equal(r.ok, false);
  if (r.ok || r.error.kind !== "locked") throw new Error("expected locked");
  assert.equal(r.error.lock.startTs, 10);
  assert.deepEqual(r.error.lock.primary, utf8("a"));
  assert.deepEqual(r.error.lock.key, utf8("b"));
  assert.equal(locks(store), 2, "all or nothing: c was not locked either");
});

test("percolator: prewrite and commit are idempotent", () => {
  const store = new MemoryTxnStore();
  const ms = [put("a", "1"), del("b")];
  assert.deepEqual(pw(store, ms, 10), { ok: true });
  assert.deepEqual(pw(store, ms, 10), { ok: true });
  assert.deepEqual(commit(store, [utf8("a"), utf8("b")], 10, 20), { ok: true });
  assert.deepEqual(commit(store, [utf8("a"), utf8("b")], 10, 20), { ok: true });
  // A prewrite repeated after the commit writes no new lock.
  assert.deepEqual(pw(store, ms, 10), { ok: true });
  assert.equal(locks(store), 0);
  assert.equal(read(store, "a", 25), "1");
});

test("percolator: a rollback record makes a late prewrite and a commit fail", () => {
  const store = new MemoryTxnStore();
  assert.deepEqual(rollback(store, [utf8("k")], 10), { ok: true });
  assert.deepEqual(pw(store, [put("k", "v")], 10), {
    ok: false,
    error: { kind: "rolledBack", key: utf8("k") },
  });
  assert.deepEqual(pw(store, [put("j", "v")], 20), { ok: true });
  assert.deepEqual(rollback(store, [utf8("j")], 20), { ok: true });
  assert.deepEqual(rollback(store, [utf8("j")], 20), { ok: true }, "idempotent");
  assert.deepEqual(commit(store, [utf8("j")], 20, 30), {
    ok: false,
    error: { kind: "rolledBack", key: utf8("j") },
  });
  assert.equal(read(store, "j", 40), undefined);
});

test("percolator: commit without a prewrite fails; rollback after a commit fails", () => {
  const store = new MemoryTxnStore();
  assert.deepEqual(commit(store, [utf8("k")], 10, 20), {
    ok: false,
    error: { kind: "lockNotFound", key: utf8("k") },
  });
  write(store, [put("k", "v")], 30, 40);
  assert.deepEqual(rollback(store, [utf8("k")], 30), {
    ok: false,
    error: { kind: "committed", key: utf8("k"), commitTs: 40 },
  });
  assert.equal(read(store, "k", 40), "v");
});

test("percolator: checkTxnStatus — alive, expired (rolled back), committed, missing", () => {
  const store = new MemoryTxnStore();
  assert.deepEqual(pw(store, [put("p", "1"), put("s", "1")], 10), { ok: true });
  const alive = checkTxnStatus(store, utf8("p"), 10, NOW + 99, false);
  assert.equal(alive.kind, "locked");
  assert.deepEqual(checkTxnStatus(store, utf8("p"), 10, NOW + 100, false), { kind: "rolledBack" });
  assert.deepEqual(checkTxnStatus(store, utf8("p"), 10, NOW, false), { kind: "rolledBack" });
  // The coordinator, late, cannot commit any more; the secondary is rolled back too.
  assert.equal(commit(store, [utf8("p")], 10, 20).ok, false);
  assert.deepEqual(resolveLock(store, [utf8("s")], 10, undefined), { ok: true });
  assert.equal(locks(store), 0);

  write(store, [put("p", "2")], 30, 40);
  assert.deepEqual(checkTxnStatus(store, utf8("p"), 30, NOW, true), {
    kind: "committed",
    commitTs: 40,
  });
  assert.deepEqual(checkTxnStatus(store, utf8("q"), 50, NOW, false), { kind: "missing" });
  assert.equal(store.get(lockRange(utf8("q"), utf8(""))[0]), undefined);
  assert.deepEqual(checkTxnStatus(store, utf8("q"), 50, NOW, true), { kind: "rolledBack" });
  assert.equal(pw(store, [put("q", "late")], 50).ok, false, "the late primary is refused");
});

test("percolator: resolveLock rolls a secondary forward at the primary's commit timestamp", () => {
  const store = new MemoryTxnStore();
  assert.deepEqual(pw(store, [put("p", "1"), put("s", "1")], 10), { ok: true });
  assert.deepEqual(commit(store, [utf8("p")], 10, 20), { ok: true });
  assert.equal(mvccGet(store, utf8("s"), 25).kind, "locked");
  assert.deepEqual(resolveLock(store, [utf8("s")], 10, 20), { ok: true });
  assert.equal(read(store, "s", 20), "1");
  assert.equal(read(store, "s", 19), undefined);
});

test("percolator: a read is blocked only by a writing lock that started at or before it", () => {
  const store = new MemoryTxnStore();
  write(store, [put("k", "old")], 1, 2);
  assert.deepEqual(pw(store, [put("k", "new"), lockOnly("r")], 10), { ok: true });
  assert.equal(read(store, "k", 9), "old", "a lock from after the read's timestamp");
  const got = mvccGet(store, utf8("k"), 10);
  assert.equal(got.kind, "locked");
  assert.equal(read(store, "r", 10), undefined, "a lock-only lock blocks no read");
});

test("percolator: a malformed request is refused and changes nothing", () => {
  const store = new MemoryTxnStore();
  write(store, [put("k", "v")], 10, 20);
  const before = [...store.scan(new Uint8Array(0), Uint8Array.of(0xff))].length;
  const long = new Uint8Array(KV_KEY_BYTES_MAX / 2 + 1); // all 0x00: escaped twice as long
  const bad: (() => unknown)[] = [
    () => pw(store, [], 30, utf8("k")),
    () => pw(store, [put("a", "1"), put("a", "2")], 30),
    () => pw(store, [{ kind: "put", key: utf8("a") }], 30),
    () => pw(store, [{ kind: "delete", key: utf8("a"), value: utf8("x") }], 30),
    () => pw(store, [put("", "1")], 30),
    () => pw(store, [{ kind: "put", key: long, value: utf8("1") }], 30),
    () => pw(store, [put("a", "1")], -1),
    () => pw(store, [put("a", "1")], 2 ** 53),
    () =>
      prewrite(store, {
        mutations: [put("a", "1")],
        primary: utf8("a"),
        startTs: 30,
        lockTtlMs: 0,
        nowMs: NOW,
      }),
    () => pw(store, [put("a", "1")], 30, utf8("a"), -5),
    () => commit(store, [utf8("k")], 20, 20),
    () => commit(store, [utf8("k")], 20, 1.5),
    () => rollback(store, [], 20),
    () => checkTxnStatus(store, new Uint8Array(0), 10, NOW, true),
  ];
  for (const f of bad) assert.throws(f, TxnInputError);
  const ttl = TXN_LOCK_TTL_MS_MAX + 1;
  assert.throws(
    () =>
      prewrite(store, {
        mutations: [put("a", "1")],
        primary: utf8("a"),
        startTs: 30,
        lockTtlMs: ttl,
        nowMs: NOW,
      }),
    (e) => e instanceof TxnInputError && /lock TTL .* outside/.test(e.message),
  );
  const many = Array.from({ length: TXN_REGION_KEYS_MAX + 1 }, (_, i) => put(`k${i}`, "v"));
  assert.throws(
    () => pw(store, many, 30),
    (e) => e instanceof TxnInputError && /10001 keys: must be 1\.\.10000/.test(e.message),
  );
  assert.equal([...store.scan(new Uint8Array(0), Uint8Array.of(0xff))].length, before);
});
