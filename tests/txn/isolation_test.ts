/**
 * The isolation levels (docs/transactions.md#isolation): snapshot isolation prevents lost updates
 * but allows write skew; serializable mode (reads locked lock-only at prewrite) prevents it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { beginTxn, type Isolation, TxnConflictError } from "../../src/txn/coordinator.ts";
import { readKey } from "../../src/txn/lock_resolver.ts";
import { b, immediate, TestCluster } from "./txn_harness.ts";
import { fromUtf8 } from "../../src/util/bytes.ts";

async function cluster(values: Record<string, string>): Promise<TestCluster> {
  const c = new TestCluster(["m"]);
  const txn = await beginTxn(c.env(immediate));
  for (const [k, v] of Object.entries(values)) txn.put(b(k), b(v));
  await txn.commit();
  return c;
}

async function value(c: TestCluster, key: string): Promise<string | undefined> {
  const v = await readKey(c.env(immediate), b(key), c.timestamp());
  return v === undefined ? undefined : fromUtf8(v);
}

const outcome = (p: Promise<number>) =>
  p.then(() => "committed", (e) => {
    if (e instanceof TxnConflictError) return "conflict";
    throw e;
  });

for (const isolation of ["snapshot", "serializable"] as const) {
  test(`isolation (${isolation}): no lost update — two increments, one conflicts`, async () => {
    const c = await cluster({ counter: "0", z: "0" });
    const env = c.env(immediate);
    const t1 = await beginTxn(env, { isolation }), t2 = await beginTxn(env, { isolation });
    for (const t of [t1, t2]) {
      t.put(b("counter"), b(String(Number(fromUtf8((await t.get(b("counter")))!)) + 1)));
      t.put(b("z"), b("touched")); // a second region: the conflict spans regions
    }
    const results = await Promise.all([outcome(t1.commit()), outcome(t2.commit())]);
    assert.deepEqual(results.sort(), ["committed", "conflict"]);
    assert.equal(await value(c, "counter"), "1");
    assert.equal(c.locks(), 0);
  });
}

/** Two doctors on call; each goes off call if the other is on. Returns the outcomes. */
async function writeSkew(isolation: Isolation, concurrent: boolean) {
  const c = await cluster({ alice: "on", zoe: "on" }); // one doctor in each region
  const env = c.env(immediate);
  const t1 = await beginTxn(env, { isolation }), t2 = await beginTxn(env, { isolation });
  for (const [t, me, other] of [[t1, "alice", "zoe"], [t2, "zoe", "alice"]] as const) {
    if (fromUtf8((await t.get(b(other)))!) === "on" && fromUtf8((await t.get(b(me)))!) === "on") {
      t.put(b(me), b("off"));
    }
  }
  const results = concurrent
    ? await Promise.all([outcome(t1.commit()), outcome(t2.commit())])
    : [await outcome(t1.commit()), await outcome(t2.commit())];
  const onCall = [await value(c, "alice"), await value(c, "zoe")].filter((v) => v === "on");
  assert.equal(c.locks(), 0);
  return { results, onCall: onCall.length };
}

test("isolation (snapshot): write skew is possible — nobody stays on call", async () => {
  for (const concurrent of [true, false]) {
    const r = await writeSkew("snapshot", concurrent);
    assert.deepEqual(r, { results: ["committed", "committed"], onCall: 0 });
  }
});

test("isolation (serializable): lock-only reads prevent write skew", async () => {
  for (const concurrent of [true, false]) {
    const r = await writeSkew("serializable", concurrent);
    assert.deepEqual(r.results.sort(), ["committed", "conflict"], `concurrent: ${concurrent}`);
    assert.equal(r.onCall, 1);
  }
});

test("isolation (serializable): a read-only transaction locks nothing and commits", async () => {
  const c = await cluster({ a: "1", n: "2" });
  const env = c.env(immediate);
  const reader = await beginTxn(env, { isolation: "serializable" });
  assert.equal(fromUtf8((await reader.get(b("a")))!), "1");
  const writer = await beginTxn(env);
  writer.put(b("a"), b("changed"));
  await writer.commit();
  assert.equal(await reader.commit(), reader.startTs);
  assert.equal(await value(c, "a"), "changed");
});

test("isolation: a transaction reads its own writes and the snapshot, not later commits", async () => {
  const c = await cluster({ a: "1", n: "1" });
  const env = c.env(immediate);
  const t = await beginTxn(env);
  t.put(b("a"), b("mine"));
  const other = await beginTxn(env);
  other.put(b("n"), b("theirs"));
  await other.commit();
  assert.equal(fromUtf8((await t.get(b("a")))!), "mine");
  assert.equal(fromUtf8((await t.get(b("n")))!), "1", "committed after t started");
  const all = await t.scan({ start: b("a"), end: new Uint8Array(0) });
  assert.deepEqual(all.map((e) => fromUtf8(e.value)), ["1", "1"], "the snapshot, not own writes");
});
