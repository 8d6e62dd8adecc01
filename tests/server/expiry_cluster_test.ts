/**
 * Key expiry on an in-process 3-node cluster (docs/coordination.md#key-expiry):
 * a key with a TTL goes within TTL + a sweep interval + slack and watchers
 * see its delete; a linearizable get that starts after the expiry never
 * returns it (the nodes and this test share the machine's wall clock); the
 * expiry is absolute, so a leader failover neither resets nor loses it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { TinyKvClient } from "../../src/client/tinykv_client.ts";
import type { WatchUpdate } from "../../src/client/watch_wire.ts";
import { fromUtf8 } from "../../src/util/bytes.ts";
import { startCluster } from "./cluster_helpers.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The node default (options.ts): how often the leader looks for expired keys. */
const SWEEP_MS = 100;
/** Slack for a loaded test machine: scheduling, replication, and this test's polling. */
const SLACK_MS = 2000;

async function collectDeletes(it: AsyncIterator<WatchUpdate>, into: string[]): Promise<void> {
  for (;;) {
    const r = await it.next();
    if (r.done) return;
    for (const e of r.value.events) if (e.type === "delete") into.push(fromUtf8(e.key));
  }
}

/**
 * Gets `key` until `until` (wall clock); fails if a read that started at or
 * after `expireAtMs` returned the key. Resolves with how many reads started after it.
 */
async function neverAfterExpiry(kv: TinyKvClient, key: string, expireAtMs: number, until: number) {
  let after = 0;
  while (Date.now() < until) {
    const started = Date.now();
    const got = await kv.get(key).catch(() => "error" as const);
    if (started >= expireAtMs && got !== "error") {
      after++;
      assert.equal(got, undefined, `a get started ${started - expireAtMs} ms after expiry`);
    }
    await sleep(5);
  }
  return after;
}

async function waitFor(what: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end && !what()) await sleep(20);
  return what();
}

test("expiry on a cluster: gone in time, watchers see it, never read after expiry", {
  timeout: 60_000,
}, async () => {
  const c = await startCluster(3);
  try {
    const kv = c.client();
    await kv.put("ttl/init", "x");
    const watch = kv.watch({ prefix: "ttl/" });
    const deletes: string[] = [];
    const reading = collectDeletes(watch[Symbol.asyncIterator](), deletes);
    for (let i = 0; i < 100 && watch.nextRevision === 0; i++) await sleep(20);
    const ttlMs = 1500;
    const before = Date.now();
    await kv.put("ttl/a", "v", { ttlMs });
    const entry = await kv.getEntry("ttl/a");
    assert.ok(entry !== undefined);
    // The expiry is the leader's apply time + TTL, in this machine's wall clock.
    assert.ok(entry.expireAtMs >= before + ttlMs - 50, `${entry.expireAtMs - before}`);
    assert.ok(entry.expireAtMs <= Date.now() + ttlMs, `${entry.expireAtMs - Date.now()}`);
    const reads = await neverAfterExpiry(kv, "ttl/a", entry.expireAtMs, entry.expireAtMs + 500);
    assert.ok(reads > 0, "some reads started after the expiry");
    const bound = entry.expireAtMs + SWEEP_MS + SLACK_MS;
    assert.ok(await waitFor(() => deletes.includes("ttl/a"), bound - Date.now() + 1000));
    assert.ok(Date.now() <= bound + 1000, "the delete came within TTL + a sweep + slack");
    assert.deepEqual(deletes, ["ttl/a"]);
    assert.equal(await kv.get("ttl/init").then((v) => v && fromUtf8(v)), "x");
    watch.cancel();
    await reading.catch(() => {});
  } finally {
    await c.close();
  }
});

test("expiry on a cluster: the TTL survives a leader failover, neither reset nor lost", {
  timeout: 60_000,
}, async () => {
  const c = await startCluster(3);
  try {
    const kv = c.client();
    await kv.put("f/k", "v", { ttlMs: 4000 });
    const entry = await kv.getEntry("f/k");
    assert.ok(entry !== undefined);
    const oldLeader = await c.leader();
    await c.stop(oldLeader);
    const newLeader = await c.leader();
    assert.notEqual(newLeader, oldLeader);
    const after = await kv.getEntry("f/k");
    if (Date.now() < entry.expireAtMs - 200) {
      assert.ok(after !== undefined, "not lost: still there before its expiry");
      assert.equal(after.expireAtMs, entry.expireAtMs, "not reset: the same absolute expiry");
    }
    // The new leader's sweeper deletes it: a serializable read on each live node finds
    // no record (reads hide it from its expiry on, so look at the store's key count).
    const live = [...c.servers.entries()].filter(([id]) => id !== oldLeader);
    await neverAfterExpiry(kv, "f/k", entry.expireAtMs, entry.expireAtMs + 300);
    const gone = await waitFor(
      () => live.every(([, s]) => s.node.kv.keyCount === 0),
      Math.max(0, entry.expireAtMs - Date.now()) + SWEEP_MS + SLACK_MS,
    );
    assert.ok(gone, "the new leader's sweeper deleted the key on every live node");
  } finally {
    await c.close();
  }
});
