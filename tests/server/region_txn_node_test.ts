/**
 * Percolator transactions served by real nodes (docs/transactions.md#on-nodes): three in-process
 * nodes split into several regions; coordinators on two nodes move money between accounts in
 * different regions through `RegionTxnRequest`s to the regions' leaders (local or over the client
 * port) at timestamps from the placement leader's oracle, while a third node reads every account
 * at one timestamp: no read sees the total change. A coordinator abandoned after its prewrite
 * leaves locks that the region leaders' resolvers finish by themselves: rolled back when the
 * primary was never committed, rolled forward when it was.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { beginTxn, TxnConflictError } from "../../src/txn/coordinator.ts";
import { readRange, type TxnEnv, TxnLockedError } from "../../src/txn/lock_resolver.ts";
import { TxnRouteError } from "../../src/txn/routed_txn_client.ts";
import type { RoutedTxnClient } from "../../src/txn/routed_txn_client.ts";
import { fromUtf8, utf8 } from "../../src/util/bytes.ts";
import { startCluster, type TestCluster } from "./cluster_helpers.ts";
import { key, SPLIT, splitInto } from "./region_split_helpers.ts";

const ACCOUNTS = [3, 17, 31, 48, 62, 77, 94].map(key);
const START = 100, TOTAL = START * ACCOUNTS.length;
const EVERYTHING = { start: new Uint8Array(0), end: new Uint8Array(0) };

function envOf(c: TestCluster, id: number): TxnEnv & { readonly client: RoutedTxnClient } {
  const s = c.servers.get(id);
  if (s === undefined) throw new Error(`node ${id} is not running`);
  return s.node.local.txnSender.env();
}

const retryable = (e: unknown) =>
  e instanceof TxnConflictError || e instanceof TxnLockedError || e instanceof TxnRouteError;

/** Every account's balance at one fresh timestamp. */
async function balances(env: TxnEnv): Promise<Map<string, number>> {
  const at = await env.timestamp();
  const out = new Map<string, number>();
  for (const e of await readRange(env, EVERYTHING, at)) {
    out.set(fromUtf8(e.key), Number(fromUtf8(e.value)));
  }
  return out;
}

async function transfers(env: TxnEnv, seed: number, count: number): Promise<number> {
  let committed = 0;
  for (let n = 0; n < count; n++) {
    const from = ACCOUNTS[(seed * 7 + n * 3) % ACCOUNTS.length];
    const to = ACCOUNTS[(seed * 5 + n * 2 + 1) % ACCOUNTS.length];
    if (from === to) continue;
    try {
      const txn = await beginTxn(env);
      const get = async (k: string) => Number(fromUtf8((await txn.get(utf8(k))) ?? utf8("0")));
      const a = await get(from), b = await get(to);
      txn.put(utf8(from), utf8(String(a - 5)));
      txn.put(utf8(to), utf8(String(b + 5)));
      await txn.commit();
      committed++;
    } catch (e) {
      if (!retryable(e)) throw e;
    }
  }
  return committed;
}

test("region txn node: a bank across regions on three nodes; abandoned coordinators resolved", {
  timeout: 120_000,
}, async () => {
  const c = await startCluster(3, 20, undefined, SPLIT);
  try {
    await c.leader();
    await splitInto(c, c.client(), 3);
    const env1 = envOf(c, 1);
    const regions = new Set(ACCOUNTS.map((a) => env1.regionOf(utf8(a))));
    assert.ok(regions.size >= 2, `the accounts lie in ${regions.size} regions`);

    const fund = await beginTxn(env1);
    for (const a of ACCOUNTS) fund.put(utf8(a), utf8(String(START)));
    const fundedAt = await fund.commit();
    assert.ok(fundedAt > fund.startTs, "the commit timestamp follows the start");

    // Two coordinators (nodes 1 and 2) transfer while node 3 reads every account at once.
    let stop = false, reads = 0;
    const reader = (async () => {
      const env3 = envOf(c, 3);
      for (let i = 0; i < 200 && !stop; i++) {
        try {
          const seen = await balances(env3);
          if (seen.size === 0) continue;
          const sum = [...seen.values()].reduce((x, y) => x + y, 0);
          assert.equal(sum, TOTAL, `read ${i}: ${JSON.stringify([...seen])}`);
          reads++;
        } catch (e) {
          if (!retryable(e)) throw e;
        }
      }
    })();
    const done = await Promise.all([transfers(env1, 1, 12), transfers(envOf(c, 2), 2, 12)]);
    stop = true;
    await reader;
    assert.ok(done[0] + done[1] > 0, "some transfers committed");
    assert.ok(reads > 0, "the reader read");

    // Abandoned before the commit point: the resolvers roll it back after the TTL.
    const [p, s] = [ACCOUNTS[0], ACCOUNTS.at(-1) ?? ""].map(utf8);
    assert.notEqual(env1.regionOf(p), env1.regionOf(s), "primary and secondary apart");
    const before = await balances(env1);
    const abandon = async (commitPrimary: boolean) => {
      const startTs = await env1.timestamp();
      const mutations = [
        { kind: "put" as const, key: p, value: utf8("999") },
        { kind: "put" as const, key: s, value: utf8("-999") },
      ];
      for (const m of mutations) {
        const r = await env1.client.prewrite(0, {
          mutations: [m],
          primary: p,
          startTs,
          lockTtlMs: 300,
        });
        assert.ok(r.ok, "prewrite");
      }
      if (commitPrimary) {
        const r = await env1.client.commit(0, [p], startTs, await env1.timestamp());
        assert.ok(r.ok, "primary committed");
      }
    };
    const unlocked = async () => {
      const at = await env1.timestamp();
      const got = await Promise.all([p, s].map((k) => env1.client.get(0, k, at)));
      return got.every((g) => g.kind === "value");
    };
    const settled = async (what: string) => {
      let free = false;
      for (let i = 0; i < 200 && !free; i++) {
        free = await unlocked();
        if (!free) await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(free, what);
    };
    await abandon(false);
    await settled("the locks of the abandoned transaction are rolled back");
    assert.deepEqual(await balances(env1), before, "nothing of it is visible");

    await abandon(true);
    await settled("the locks of the committed transaction are rolled forward");
    const after = await balances(env1);
    assert.equal(after.get(fromUtf8(p)), 999);
    assert.equal(after.get(fromUtf8(s)), -999, "the secondary was rolled forward");
    const resolved = [...c.servers.values()].reduce(
      (n, x) => n + x.node.local.txnResolver.finished,
      0,
    );
    assert.ok(resolved >= 2, `the resolvers finished ${resolved} locks`);
  } finally {
    await c.close();
  }
});
