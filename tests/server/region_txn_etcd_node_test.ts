/**
 * The coordination API's `txn` and `batch` across regions on real nodes (docs/coordination.md,
 * docs/transactions.md#on-nodes): three in-process nodes split into several regions. A batch
 * over every region lands at one revision in all of them; bank transfers between accounts in
 * different regions (compare the balances read, then write both) from two nodes while full scans
 * from the third never see the total change, now or at a revision a transfer answered; two
 * transactions that each compare both of two keys and write one cannot both commit (no write
 * skew); an ordinary write of a key a transaction locked is refused (retryable) until it is
 * resolved; a coordinator abandoned after its commit point is rolled forward by the resolvers,
 * into the keyspace at its commit timestamp, one abandoned before it rolled back by readers; a
 * prewrite conflicts with an ordinary write after its start; a leased key is not written.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { fromUtf8, utf8 } from "../../src/util/bytes.ts";
import type { TinyKvClient } from "../../src/client/tinykv_client.ts";
import { ErrorCode } from "../../src/gen/tinykv/v1/tinykv_pb.ts";
import { ServiceError } from "../../src/server/kv_service.ts";
import { TinyKvError } from "../../src/client/errors.ts";
import { startCluster, type TestCluster } from "./cluster_helpers.ts";
import { hostOf, key, SPLIT, splitInto } from "./region_split_helpers.ts";

const ACCOUNTS = [3, 17, 31, 48, 62, 77, 94].map(key);
const START = 100, TOTAL = START * ACCOUNTS.length;

function regionOf(c: TestCluster, k: string): number {
  return hostOf(c, 1).regionFor(utf8(k))?.id ?? 0;
}

async function sumOf(client: TinyKvClient, revision?: number): Promise<number> {
  const page = await client.scan({ start: ACCOUNTS[0], end: "k9999", limit: 200, revision });
  const mine = page.items.filter((i) => ACCOUNTS.includes(fromUtf8(i.key)));
  assert.equal(mine.length, ACCOUNTS.length, "every account is read");
  return mine.reduce((n, i) => n + Number(fromUtf8(i.value)), 0);
}

/** Moves 5 from `from` to `to` when both balances are still what was read; false when not. */
async function transfer(client: TinyKvClient, from: string, to: string): Promise<number> {
  const [a, b] = await Promise.all([client.getEntry(from), client.getEntry(to)]);
  if (a === undefined || b === undefined) throw new Error("an account is missing");
  const r = await client.txn({
    compare: [
      { key: from, target: "modRevision", result: "=", number: a.modRevision },
      { key: to, target: "modRevision", result: "=", number: b.modRevision },
    ],
    success: [
      { put: { key: from, value: String(Number(fromUtf8(a.value)) - 5) } },
      { put: { key: to, value: String(Number(fromUtf8(b.value)) + 5) } },
    ],
  });
  return r.succeeded ? r.revision : 0;
}

test("region txn etcd node: txn and batch across regions, atomic and isolated", {
  timeout: 120_000,
}, async () => {
  const c = await startCluster(3, 20, undefined, SPLIT);
  try {
    await c.leader();
    const client = c.client();
    await splitInto(c, client, 3);
    assert.ok(new Set(ACCOUNTS.map((a) => regionOf(c, a))).size >= 2, "accounts apart");

    // One batch over every region: one revision, the commit timestamp, in each.
    const funded = await client.batch(ACCOUNTS.map((k) => ({ type: "put", key: k, value: "100" })));
    for (const k of ACCOUNTS) {
      assert.equal((await client.getEntry(k))?.modRevision, funded, `${k} at the batch's revision`);
    }
    assert.equal(await sumOf(client), TOTAL);

    // Transfers from nodes 1 and 2; node 3 scans now and at every revision a transfer answered.
    const revisions: number[] = [];
    let stop = false, scans = 0;
    const reader = (async () => {
      const r3 = c.client([3]);
      for (let i = 0; i < 300 && !stop; i++) {
        assert.equal(await sumOf(r3), TOTAL, `scan ${i}`);
        const at = revisions.at(-1);
        if (at !== undefined) assert.equal(await sumOf(r3, at), TOTAL, `scan at ${at}`);
        scans++;
      }
    })();
    const mover = async (client: TinyKvClient, seed: number) => {
      for (let n = 0; n < 10; n++) {
        const from = ACCOUNTS[(seed + n * 3) % ACCOUNTS.length];
        const to = ACCOUNTS[(seed + n * 5 + 1) % ACCOUNTS.length];
        if (from === to) continue;
        const at = await transfer(client, from, to);
        if (at !== 0) revisions.push(at);
      }
    };
    await Promise.all([mover(c.client([1]), 1), mover(c.client([2]), 4)]);
    stop = true;
    await reader;
    assert.ok(revisions.length > 0 && scans > 0, `${revisions.length} transfers, ${scans} scans`);
    assert.equal(await sumOf(client), TOTAL);

    // Write skew: each compares both keys unchanged and writes one; at most one commits.
    const [x, y] = [ACCOUNTS[0], ACCOUNTS.at(-1) ?? ""];
    for (let round = 0; round < 3; round++) {
      await client.batch([{ type: "put", key: x, value: "0" }, {
        type: "put",
        key: y,
        value: "0",
      }]);
      const guarded = (k: string) =>
        c.client([k === x ? 1 : 2]).txn({
          compare: [
            { key: x, target: "value", result: "=", value: "0" },
            { key: y, target: "value", result: "=", value: "0" },
          ],
          success: [{ put: { key: k, value: "1" } }],
        });
      const both = await Promise.all([guarded(x), guarded(y)]);
      assert.ok(both.filter((r) => r.succeeded).length <= 1, `round ${round}: both committed`);
      const values = await Promise.all(
        [x, y].map(async (k) => fromUtf8(await client.get(k) ?? utf8(""))),
      );
      assert.notDeepEqual(values, ["1", "1"], `round ${round}: write skew`);
    }

    // A key locked by a transaction refuses ordinary writes until it is resolved.
    const node1 = c.servers.get(1)?.node;
    if (node1 === undefined) throw new Error("node 1");
    const env = node1.local.txnSender.env();
    const [p, s] = [utf8(x), utf8(y)];
    const startTs = await env.timestamp();
    for (const k of [p, s]) {
      const m = { kind: "put" as const, key: k, value: utf8(k === p ? "7" : "8") };
      const r = await env.client.prewrite(0, {
        mutations: [m],
        primary: p,
        startTs,
        lockTtlMs: 600,
      });
      assert.ok(r.ok, "prewrite");
    }
    await assert.rejects(
      node1.local.router.execute({ body: { case: "put", value: { key: s, value: utf8("x") } } }),
      (e) =>
        e instanceof ServiceError && e.code === ErrorCode.UNAVAILABLE && /locked/.test(e.message),
    );
    // Nor is a Redis read served around the locks: the synchronous path declines while one is
    // pending anywhere (the awaited path settles them first, below).
    const reads = node1.local.reads;
    assert.equal(reads.readStateNow("linearizable", () => 1), undefined, "read around a lock");
    // Its coordinator commits the primary and vanishes: the secondary is rolled forward, by
    // the first read that meets its lock (a Redis read here) or by the resolvers.
    const commitTs = await env.timestamp();
    assert.ok((await env.client.commit(0, [p], startTs, commitTs)).ok);
    const seen = await reads.readState("linearizable", (kv) => kv.get(s)?.value);
    assert.equal(fromUtf8(seen ?? utf8("")), "8", "a Redis read sees the committed secondary");
    for (let i = 0; i < 100; i++) {
      const got = await env.client.get(0, s, await env.timestamp());
      if (got.kind === "value") break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const after = await Promise.all([x, y].map((k) => client.getEntry(k)));
    assert.deepEqual(after.map((e) => fromUtf8(e?.value ?? utf8(""))), ["7", "8"]);
    assert.deepEqual(after.map((e) => e?.modRevision), [commitTs, commitTs], "at the commit ts");
    await client.put(y, "9"); // no lock left

    // A prewrite conflicts with an ordinary write of the key after its start timestamp.
    const early = await env.timestamp();
    await client.put(x, "10");
    const late = await env.client.prewrite(0, {
      mutations: [{ kind: "put", key: p, value: utf8("11") }],
      primary: p,
      startTs: early,
      lockTtlMs: 600,
    });
    assert.equal(late.ok ? "ok" : late.error.kind, "writeConflict");
    assert.equal(fromUtf8(await client.get(x) ?? utf8("")), "10");

    // A key attached to a lease (region 1's) is not written across regions.
    // "a" sorts before every split key: region 1 keeps the left part of each of its splits.
    const first = "a-leased", other = ACCOUNTS.find((k) => regionOf(c, k) !== 1);
    assert.equal(regionOf(c, first), 1);
    assert.ok(other !== undefined, "an account outside region 1");
    const lease = await client.grant(60);
    await client.put(first, "leased", { lease: lease.id });
    await assert.rejects(
      client.txn({
        success: [{ put: { key: first, value: "1" } }, { put: { key: other, value: "2" } }],
      }),
      (e) =>
        e instanceof TinyKvError && e.code === "FAILED_PRECONDITION" && /lease/.test(e.message),
    );

    // Abandoned before its commit point: a reader meeting its locks rolls it back once its TTL
    // passed; nothing of it is ever visible.
    const lostTs = await env.timestamp();
    for (const k of [p, s]) {
      const m = { kind: "put" as const, key: k, value: utf8("lost") };
      const r = await env.client.prewrite(0, {
        mutations: [m],
        primary: p,
        startTs: lostTs,
        lockTtlMs: 300,
      });
      assert.ok(r.ok, "prewrite");
    }
    assert.equal(fromUtf8(await client.get(y) ?? utf8("")), "9", "the secondary rolled back");
    assert.equal(fromUtf8(await client.get(x) ?? utf8("")), "10", "the primary rolled back");
    const rolled = await env.client.checkTxnStatus(0, p, lostTs, false);
    assert.equal(rolled.kind, "rolledBack");
  } finally {
    await c.close();
  }
});
