import { test } from "node:test";
import assert from "node:assert/strict";
import { MemoryTxnStore } from "../../src/txn/txn_store.ts";
import { commit, prewrite } from "../../src/txn/percolator.ts";
import { mvccScan, scanExpiredLocks } from "../../src/txn/mvcc_read.ts";
import type { Mutation } from "../../src/txn/txn_types.ts";
import { fromUtf8, utf8 } from "../../src/util/bytes.ts";

const NOW = 1_800_000_000_000;
const ALL = { start: new Uint8Array(0), end: new Uint8Array(0) };

function write(store: MemoryTxnStore, ms: Mutation[], startTs: number, commitTs?: number) {
  const req = { mutations: ms, primary: ms[0].key, startTs, lockTtlMs: 100, nowMs: NOW };
  assert.deepEqual(prewrite(store, req), { ok: true });
  if (commitTs !== undefined) {
    assert.deepEqual(commit(store, ms.map((m) => m.key), startTs, commitTs), { ok: true });
  }
}

const put = (key: Uint8Array, value: string): Mutation => ({
  kind: "put",
  key,
  value: utf8(value),
});
const view = (entries: { key: Uint8Array; value: Uint8Array }[]) =>
  entries.map((e) => [[...e.key], fromUtf8(e.value)]);

test("mvccScan: keys in user-key order (0x00 bytes too), each as of the timestamp", () => {
  const store = new MemoryTxnStore();
  const a = utf8("a"), a0 = Uint8Array.of(0x61, 0), a00 = Uint8Array.of(0x61, 0, 0), b = utf8("b");
  write(store, [put(a0, "a0-1"), put(b, "b-1")], 10, 20);
  write(store, [put(a, "a-1"), put(a00, "a00-1")], 30, 40);
  write(store, [put(a0, "a0-2"), { kind: "delete", key: b }], 50, 60);
  assert.deepEqual(view(mvccScan(store, ALL, 20, 100).entries), [[[0x61, 0], "a0-1"], [
    [0x62],
    "b-1",
  ]]);
  assert.deepEqual(view(mvccScan(store, ALL, 45, 100).entries), [
    [[0x61], "a-1"],
    [[0x61, 0], "a0-1"],
    [[0x61, 0, 0], "a00-1"],
    [[0x62], "b-1"],
  ]);
  assert.deepEqual(view(mvccScan(store, ALL, 60, 100).entries), [
    [[0x61], "a-1"],
    [[0x61, 0], "a0-2"],
    [[0x61, 0, 0], "a00-1"],
  ]);
  // A range and a limit.
  assert.deepEqual(view(mvccScan(store, { start: a0, end: b }, 45, 2).entries), [
    [[0x61, 0], "a0-1"],
    [[0x61, 0, 0], "a00-1"],
  ]);
  assert.deepEqual(mvccScan(store, { start: a0, end: a00 }, 45, 10).entries.length, 1);
  assert.deepEqual(mvccScan(store, ALL, 45, 10).entries.map((e) => e.commitTs), [40, 20, 40, 20]);
});

test("mvccScan: a lock stops the scan at its key, keeping the keys before it", () => {
  const store = new MemoryTxnStore();
  write(store, [put(utf8("a"), "1"), put(utf8("c"), "1")], 10, 20);
  // A new key (no write record yet) locked between them, and one locked after the read's ts.
  write(store, [put(utf8("b"), "2")], 30);
  write(store, [put(utf8("d"), "2")], 50);
  const blocked = mvccScan(store, ALL, 40, 100);
  assert.deepEqual(view(blocked.entries), [[[0x61], "1"]]);
  assert.deepEqual(blocked.lock?.key, utf8("b"));
  assert.equal(blocked.lock?.startTs, 30);
  const before = mvccScan(store, ALL, 25, 100);
  assert.equal(before.lock, undefined, "locks from after the read's timestamp do not stop it");
  assert.deepEqual(view(before.entries), [[[0x61], "1"], [[0x63], "1"]]);
});

test("scanExpiredLocks: only locks whose TTL has passed, in the range, up to the limit", () => {
  const store = new MemoryTxnStore();
  for (let i = 0; i < 5; i++) {
    const req = {
      mutations: [put(utf8(`k${i}`), "v")],
      primary: utf8(`k${i}`),
      startTs: 10 + i,
      lockTtlMs: 100,
      nowMs: NOW + i * 10,
    };
    assert.deepEqual(prewrite(store, req), { ok: true });
  }
  const keys = (ls: { key: Uint8Array }[]) => ls.map((l) => fromUtf8(l.key));
  assert.deepEqual(keys(scanExpiredLocks(store, ALL, NOW + 99, 10)), []);
  assert.deepEqual(keys(scanExpiredLocks(store, ALL, NOW + 120, 10)), ["k0", "k1", "k2"]);
  assert.deepEqual(keys(scanExpiredLocks(store, ALL, NOW + 120, 2)), ["k0", "k1"]);
  const range = { start: utf8("k1"), end: utf8("k2") };
  assert.deepEqual(keys(scanExpiredLocks(store, range, NOW + 1000, 10)), ["k1"]);
});
