/**
 * Percolator transactions as region commands (src/kv/region_txn_apply.ts) on three multi-region
 * drivers with RegionKv state machines on shared engines (region_txn_cluster.ts): atomic
 * commits across regions, snapshot isolation, a dead coordinator's locks resolved by a reader
 * and by the TTL sweep, no split moving a locked key, and refusals.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { beginTxn, TxnConflictError, TxnUndeterminedError } from "../../src/txn/coordinator.ts";
import { readKey, sweepRegion } from "../../src/txn/lock_resolver.ts";
import { fromUtf8, utf8 } from "../../src/util/bytes.ts";
import { dump } from "./kv_helpers.ts";
import { regionKeys } from "../../src/kv/region_keys.ts";
import { snapshotRanges } from "../../src/kv/snapshot_ranges.ts";
import type { Db } from "../../src/storage/db.ts";
import { parseLockKey, parseWriteKey, TxnNamespace } from "../../src/txn/txn_keys.ts";
import { diesAfterPrewrite, locksOn, threeRegions, TICK_MS } from "./region_txn_cluster.ts";

const b = utf8;

/** The user keys of `namespace` records a snapshot of region `id` over [start, end) holds. */
function snapshotKeys(db: Db, id: number, start: string, end: string, namespace: number) {
  const out: string[] = [];
  for (const r of snapshotRanges(regionKeys(id), { start: b(start), end: b(end) })) {
    for (const [k] of db.scanSync({ start: r.start, end: r.end })) {
      if (k[0] !== namespace || (r.keep !== undefined && !r.keep(k))) continue;
      out.push(fromUtf8(namespace === TxnNamespace.Lock ? parseLockKey(k) : parseWriteKey(k).key));
    }
  }
  return out;
}
const str = (v: Uint8Array | undefined) => v === undefined ? undefined : fromUtf8(v);

test("region txn: a transaction over three regions commits atomically on every replica", async () => {
  const t = await threeRegions(11, 0.05);
  const env = await t.env();
  assert.deepEqual(env.regions().map((r) => r.id), [1, 2, 3]);
  const before = await beginTxn(env);
  const txn = await beginTxn(env);
  for (const k of ["a", "k", "t"]) txn.put(b(k), b(`v-${k}`));
  const commitTs = await txn.commit();
  assert.ok(commitTs > txn.startTs);
  const after = await beginTxn(env);
  for (const k of ["a", "k", "t"]) {
    assert.equal(str(await after.get(b(k))), `v-${k}`);
    assert.equal(await before.get(b(k)), undefined, "a snapshot before the commit sees none");
  }
  const all = await after.scan({ start: new Uint8Array(0), end: new Uint8Array(0) });
  assert.deepEqual(all.map((e) => str(e.key)), ["a", "k", "t"]);
  assert.ok(all.every((e) => e.commitTs === commitTs));
  await t.waitFor(() => false, 30);
  for (const n of [1, 2, 3]) assert.equal(locksOn(t, n), 0, `n${n} has no lock left`);
  const [d1, d2, d3] = await Promise.all(t.c.nodes.map((n) => dump(n.db)));
  assert.deepEqual(d2, d1, "replicas' engines agree");
  assert.deepEqual(d3, d1, "replicas' engines agree");
});

test("region txn: of two transactions writing one key, the second to prewrite aborts", async () => {
  const t = await threeRegions(12, 0.05);
  const env = await t.env();
  const one = await beginTxn(env), two = await beginTxn(env);
  one.put(b("k"), b("one"));
  one.put(b("a"), b("one"));
  two.put(b("k"), b("two"));
  two.put(b("t"), b("two"));
  await one.commit();
  await assert.rejects(two.commit(), (e: unknown) => {
    assert.ok(e instanceof TxnConflictError);
    assert.equal(typeof e.reason === "string" ? e.reason : e.reason.kind, "writeConflict");
    return true;
  });
  const check = await beginTxn(env);
  assert.deepEqual(
    [str(await check.get(b("k"))), str(await check.get(b("a"))), await check.get(b("t"))],
    ["one", "one", undefined],
    "nothing of the aborted transaction is visible",
  );
});

test("region txn: a coordinator dead between the phases is rolled back by a reader", async () => {
  const t = await threeRegions(13, 0.05);
  const env = await t.env();
  const dead = await beginTxn(diesAfterPrewrite(env), { lockTtlMs: 30 * TICK_MS });
  for (const k of ["b", "j", "r"]) dead.put(b(k), b("dead"));
  await assert.rejects(dead.commit(), TxnUndeterminedError);
  assert.ok([1, 2, 3].some((n) => locksOn(t, n) === 3), "locks were left");
  // A reader at a later timestamp meets the locks, waits out their TTL, and rolls them back.
  const startTs = await env.timestamp();
  for (const k of ["j", "b", "r"]) assert.equal(await readKey(env, b(k), startTs), undefined);
  const late = await beginTxn(env);
  late.put(b("j"), b("after"));
  await late.commit();
  // The dead coordinator's commit can never happen now: its primary holds a rollback record.
  const again = await env.client.commit(1, [b("b")], dead.startTs, await env.timestamp());
  assert.equal(again.ok ? "ok" : again.error.kind, "rolledBack");
});

test("region txn: a primary committed before the coordinator died is rolled forward", async () => {
  const t = await threeRegions(14, 0.05);
  const env = await t.env();
  const dead = await beginTxn(diesAfterPrewrite(env, true), { lockTtlMs: 30 * TICK_MS });
  for (const k of ["c", "l", "s"]) dead.put(b(k), b("committed"));
  const commitTs = await dead.commit(); // the secondaries' commits fail: committed anyway
  assert.ok([1, 2, 3].some((n) => locksOn(t, n) === 2), "secondary locks left");
  const reader = await beginTxn(env);
  for (const k of ["s", "l", "c"]) assert.equal(str(await reader.get(b(k))), "committed");
  const scan = await reader.scan({ start: new Uint8Array(0), end: new Uint8Array(0) });
  assert.ok(scan.every((e) => e.commitTs === commitTs));
});

test("region txn: the TTL sweep finishes locks nobody reads", async () => {
  const t = await threeRegions(15, 0.05);
  const env = await t.env();
  const dead = await beginTxn(diesAfterPrewrite(env), { lockTtlMs: 20 * TICK_MS });
  for (const k of ["d", "m", "u", "v"]) dead.put(b(k), b("dead"));
  await assert.rejects(dead.commit(), TxnUndeterminedError);
  for (const r of env.regions()) assert.equal(await sweepRegion(env, r.id, 100), 0, "alive");
  await t.ticksPass(25);
  let finished = 0;
  for (const r of env.regions()) finished += await sweepRegion(env, r.id, 100);
  assert.equal(finished, 4);
  await t.waitFor(() => [1, 2, 3].every((n) => locksOn(t, n) === 0), 100);
  for (const n of [1, 2, 3]) assert.equal(locksOn(t, n), 0, `n${n}`);
  const reader = await beginTxn(env);
  assert.deepEqual(await reader.scan({ start: new Uint8Array(0), end: new Uint8Array(0) }), []);
});

test("region txn: no split moves a locked key; once the transaction commits, the split applies", async () => {
  const t = await threeRegions(16, 0.05);
  const env = await t.env();
  const txn = await beginTxn(env);
  for (const k of ["q", "r", "s", "x"]) txn.put(b(k), b("split"));
  // Prewrite by hand, then try to split region 3 between the keys (src/kv/region_split_refusal.ts:
  // moved to the child, a commit could land there below its split).
  const mutations = ["q", "r", "s", "x"].map((k) => ({
    kind: "put" as const,
    key: b(k),
    value: b("split"),
  }));
  const pre = await env.client.prewrite(3, {
    mutations,
    primary: b("q"),
    startTs: txn.startTs,
    lockTtlMs: 60_000,
  });
  assert.ok(pre.ok);
  await assert.rejects(t.split(3, { version: 3, confVer: 1 }, "rr", 4), /no leader/);
  assert.ok(t.c.nodes.every((n) => !n.sms.has(4)), "refused on every replica");
  const db = t.c.node(1).db;
  assert.deepEqual(snapshotKeys(db, 3, "p", "", TxnNamespace.Lock), ["q", "r", "s", "x"]);
  const commitTs = await env.timestamp();
  const done = await env.client.commit(3, mutations.map((m) => m.key), txn.startTs, commitTs);
  assert.ok(done.ok);
  await t.waitFor(() => false, 20);
  for (const n of [1, 2, 3]) assert.equal(locksOn(t, n), 0);
  // No lock left in the child's range: the split applies, the child holds its keys' writes.
  await t.split(3, { version: 3, confVer: 1 }, "rr", 4);
  await t.waitFor(() => t.c.nodes.every((n) => n.sms.has(4)), 100);
  assert.deepEqual(snapshotKeys(db, 4, "rr", "", TxnNamespace.Write), ["s", "x"]);
  const reader = await beginTxn(env);
  const all = await reader.scan({ start: b("p"), end: new Uint8Array(0) });
  assert.deepEqual(all.map((e) => [str(e.key), str(e.value)]), [["q", "split"], ["r", "split"], [
    "s",
    "split",
  ], ["x", "split"]]);
  for (const n of [1, 2, 3]) {
    const four = t.c.node(n).sms.get(4)?.kv.descriptor;
    assert.deepEqual(four?.start, b("rr"), `n${n} has the child`);
  }
});

test("region txn: serializable transactions prevent write skew across regions; snapshot allows it", async () => {
  for (const isolation of ["snapshot", "serializable"] as const) {
    const t = await threeRegions(17, 0.05);
    const env = await t.env();
    const setup = await beginTxn(env);
    setup.put(b("alice"), b("on")); // region 1
    setup.put(b("zoe"), b("on")); // region 3
    await setup.commit();
    // Two doctors on call; each goes off call if the other is on.
    const one = await beginTxn(env, { isolation }), two = await beginTxn(env, { isolation });
    for (const [txn, me, other] of [[one, "alice", "zoe"], [two, "zoe", "alice"]] as const) {
      if (str(await txn.get(b(other))) === "on" && str(await txn.get(b(me))) === "on") {
        txn.put(b(me), b("off"));
      }
    }
    const outcome = (p: Promise<number>) =>
      p.then(() => "committed", (e) => e instanceof TxnConflictError ? "conflict" : String(e));
    const results = await Promise.all([outcome(one.commit()), outcome(two.commit())]);
    const check = await beginTxn(env);
    const onCall = [str(await check.get(b("alice"))), str(await check.get(b("zoe")))];
    if (isolation === "snapshot") {
      assert.deepEqual([results, onCall], [["committed", "committed"], ["off", "off"]]);
    } else {
      // Both may abort (each met the other's lock): serializable, if not live.
      assert.ok(
        results.includes("conflict") && results.every((r) => r === "committed" || r === "conflict"),
        `${results}`,
      );
      assert.ok(onCall.includes("on"), "a doctor stays on call");
    }
  }
});
