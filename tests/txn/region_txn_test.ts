import { test } from "node:test";
import assert from "node:assert/strict";
import { KeyNotInRegionError, TxnInputError } from "../../src/txn/txn_types.ts";
import { b, TestCluster } from "./txn_harness.ts";
import { fromUtf8 } from "../../src/util/bytes.ts";

test("RegionTxnServer: a key outside the region is refused before anything runs", () => {
  const cluster = new TestCluster(["m", "t"]);
  const middle = cluster.server(2); // ["m", "t")
  const put = (key: string) => ({ kind: "put" as const, key: b(key), value: b("v") });
  const calls: (() => unknown)[] = [
    () =>
      middle.prewrite({
        mutations: [put("n"), put("a")],
        primary: b("n"),
        startTs: 5,
        lockTtlMs: 10,
      }),
    () => middle.prewrite({ mutations: [put("t")], primary: b("t"), startTs: 5, lockTtlMs: 10 }),
    () => middle.commit([b("n"), b("z")], 5, 6),
    () => middle.rollback([b("l")], 5),
    () => middle.checkTxnStatus(b("a"), 5, true),
    () => middle.resolveLock([b("u")], 5, undefined),
    () => middle.get(b("a"), 5),
  ];
  for (const call of calls) assert.throws(call, KeyNotInRegionError);
  assert.equal(cluster.locks(), 0);
  const everything = middle.store.scan(new Uint8Array(0), Uint8Array.of(0xff));
  assert.equal([...everything].length, 0, "nothing written");
  assert.throws(() => middle.scanExpiredLocks(0), TxnInputError);
  assert.throws(() => middle.scan({ start: b("m"), end: b("t") }, 5, 0), TxnInputError);
});

test("RegionTxnServer: a scan is cut to the region's range", () => {
  const cluster = new TestCluster(["m", "t"]);
  // Write keys of every region into the middle region's store directly, as a stray would be.
  const middle = cluster.server(2);
  const mutations = ["n", "o"].map((k) => ({ kind: "put" as const, key: b(k), value: b(k) }));
  assert.deepEqual(
    middle.prewrite({ mutations, primary: b("n"), startTs: 5, lockTtlMs: 10 }),
    { ok: true },
  );
  assert.deepEqual(middle.commit([b("n"), b("o")], 5, 6), { ok: true });
  const all = middle.scan({ start: new Uint8Array(0), end: new Uint8Array(0) }, 10, 10);
  assert.deepEqual(all.entries.map((e) => fromUtf8(e.key)), ["n", "o"]);
  assert.deepEqual(middle.scan({ start: b("o"), end: b("z") }, 10, 10).entries.length, 1);
  assert.deepEqual(middle.scan({ start: b("a"), end: b("c") }, 10, 10), { entries: [] });
  assert.deepEqual(middle.scan({ start: b("t"), end: new Uint8Array(0) }, 10, 10), {
    entries: [],
  });
});
