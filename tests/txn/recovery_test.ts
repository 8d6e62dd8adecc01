/**
 * A coordinator that dies between the phases: readers and the background resolver finish its
 * transaction the way its primary key went (docs/transactions.md#recovery).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { beginTxn, TxnConflictError, TxnUndeterminedError } from "../../src/txn/coordinator.ts";
import { readKey, sweepRegion, TxnLockedError } from "../../src/txn/lock_resolver.ts";
import { b, CrashError, crashingSchedule, immediate, TestCluster } from "./txn_harness.ts";
import { fromUtf8 } from "../../src/util/bytes.ts";

const KEYS = ["a", "n", "u"]; // one key in each region; "a" is the primary (the smallest key)

/** A cluster of three regions holding "old" under every key. */
async function setup(): Promise<TestCluster> {
  const cluster = new TestCluster(["m", "t"]);
  const txn = await beginTxn(cluster.env(immediate));
  for (const k of KEYS) txn.put(b(k), b("old"));
  await txn.commit();
  return cluster;
}

/**
 * Writes "new" under every key through a coordinator that crashes at its request number
 * `at`: 0 begin, 1-3 prewrites, 4 commit timestamp, 5 primary commit, 6-7 secondary commits.
 */
async function crashingWrite(cluster: TestCluster, at: number, when: "before" | "after") {
  const { schedule } = crashingSchedule(immediate, (n) => (n === at ? when : undefined));
  const txn = await beginTxn(cluster.env(schedule), { lockTtlMs: 100 });
  for (const k of KEYS) txn.put(b(k), b("new"));
  return { startTs: txn.startTs, outcome: await txn.commit().then((ts) => ts, (e) => e) };
}

async function readAll(cluster: TestCluster): Promise<string[]> {
  const env = cluster.env(immediate);
  const ts = cluster.timestamp();
  const out: string[] = [];
  for (const k of KEYS) out.push(fromUtf8((await readKey(env, b(k), ts))!));
  return out;
}

async function sweepAll(cluster: TestCluster): Promise<number> {
  let n = 0;
  for (const r of cluster.regions) n += await sweepRegion(cluster.env(immediate), r.id, 100);
  return n;
}

test("recovery: crash after prewrite — a reader waits out the TTL and rolls it back", async () => {
  const cluster = await setup();
  const { startTs, outcome } = await crashingWrite(cluster, 4, "before");
  // Dead before its commit timestamp: its rollback requests failed too, the locks stay.
  assert.ok(outcome instanceof TxnConflictError && outcome.cause instanceof CrashError);
  assert.equal(cluster.locks(), 3);
  const lockedAt = cluster.nowMs;
  const read = await readKey(cluster.env(immediate), b("n"), cluster.timestamp());
  assert.equal(fromUtf8(read!), "old");
  assert.ok(cluster.nowMs >= lockedAt + 100, "the reader waited for the TTL");
  // The reader rolled back the primary (its status) and its own key; the resolver the third.
  assert.equal(cluster.locks(), 1);
  assert.equal(await sweepAll(cluster), 1);
  assert.equal(cluster.locks(), 0);
  assert.deepEqual(await readAll(cluster), ["old", "old", "old"]);
  // The coordinator, back from the dead, cannot commit any more.
  const late = cluster.server(1).commit([b("a")], startTs, cluster.timestamp());
  assert.deepEqual(late, { ok: false, error: { kind: "rolledBack", key: b("a") } });
});

test("recovery: crash after the primary committed — a reader rolls it forward at once", async () => {
  const cluster = await setup();
  const { outcome } = await crashingWrite(cluster, 5, "after");
  assert.ok(outcome instanceof TxnUndeterminedError);
  const before = cluster.nowMs;
  assert.deepEqual(await readAll(cluster), ["new", "new", "new"]);
  assert.equal(cluster.nowMs, before, "no waiting: the primary is committed");
  assert.equal(cluster.locks(), 0);
});

test("recovery: crash mid-secondaries — acknowledged; the resolver finishes the rest", async () => {
  const cluster = await setup();
  const { outcome } = await crashingWrite(cluster, 7, "before");
  assert.equal(typeof outcome, "number", "committed: the primary is the commit point");
  assert.equal(cluster.locks(), 1);
  assert.equal(await sweepAll(cluster), 0, "the lock is not past its TTL yet");
  cluster.nowMs += 100;
  assert.equal(await sweepAll(cluster), 1);
  assert.equal(cluster.locks(), 0);
  assert.deepEqual(await readAll(cluster), ["new", "new", "new"]);
});

test("recovery: secondaries locked, primary's prewrite lost — rolled back, late prewrite refused", async () => {
  const cluster = await setup();
  const startTs = cluster.timestamp();
  for (const [region, key] of [[2, "n"], [3, "u"]] as const) {
    const mutations = [{ kind: "put" as const, key: b(key), value: b("new") }];
    const req = { mutations, primary: b("a"), startTs, lockTtlMs: 100 };
    assert.deepEqual(cluster.server(region).prewrite(req), { ok: true });
  }
  assert.deepEqual(await readAll(cluster), ["old", "old", "old"]);
  const mutations = [{ kind: "put" as const, key: b("a"), value: b("new") }];
  const late = cluster.server(1).prewrite({ mutations, primary: b("a"), startTs, lockTtlMs: 100 });
  assert.deepEqual(late, { ok: false, error: { kind: "rolledBack", key: b("a") } });
  await sweepAll(cluster);
  assert.equal(cluster.locks(), 0);
});

test("recovery: a reader gives up on a live lock after its bounded backoff", async () => {
  const cluster = await setup();
  // Requests: 0 begin, 1 prewrite, 2 commit timestamp (the crash).
  const { schedule } = crashingSchedule(immediate, (n) => (n === 2 ? "before" : undefined));
  const txn = await beginTxn(cluster.env(schedule), { lockTtlMs: 60_000 });
  txn.put(b("n"), b("new"));
  await assert.rejects(txn.commit(), TxnConflictError);
  assert.equal(cluster.locks(), 1);
  const env = { ...cluster.env(immediate), backoff: { attempts: 3, baseMs: 1, maxMs: 2 } };
  const start = cluster.nowMs;
  await assert.rejects(readKey(env, b("n"), cluster.timestamp()), TxnLockedError);
  assert.equal(cluster.nowMs - start, 1 + 2 + 2, "slept base·2^i ms, capped, 3 times");
});

test("coordinator: a conflict rolls the loser back and leaves no lock", async () => {
  const cluster = await setup();
  const env = cluster.env(immediate);
  const t1 = await beginTxn(env), t2 = await beginTxn(env);
  t1.put(b("n"), b("t1"));
  t2.put(b("u"), b("t2"));
  t2.put(b("n"), b("t2"));
  assert.equal(typeof await t1.commit(), "number");
  const err = await t2.commit().then(() => undefined, (e) => e);
  assert.ok(err instanceof TxnConflictError);
  assert.equal(err.reason !== "aborted" && err.reason.kind, "writeConflict");
  assert.equal(cluster.locks(), 0);
  assert.deepEqual(await readAll(cluster), ["old", "t1", "old"]);
});

test("coordinator: no commit timestamp (oracle unavailable) — its locks are given up at once", async () => {
  const cluster = await setup();
  const env = cluster.env(immediate);
  const txn = await beginTxn({
    ...env,
    timestamp: () => Promise.reject(new Error("placement unavailable")),
  }).catch(() => undefined);
  assert.equal(txn, undefined, "no start timestamp: no transaction");
  let calls = 0;
  const flaky = {
    ...env,
    timestamp: () => calls++ === 0 ? env.timestamp() : Promise.reject(new Error("unavailable")),
  };
  const t = await beginTxn(flaky);
  t.put(b("a"), b("new"));
  t.put(b("u"), b("new"));
  const err = await t.commit().then(() => undefined, (e) => e);
  assert.ok(err instanceof TxnConflictError && err.reason === "aborted");
  assert.equal(cluster.locks(), 0);
  assert.deepEqual(await readAll(cluster), ["old", "old", "old"]);
});
