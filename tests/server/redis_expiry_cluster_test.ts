/**
 * The leader's expiry sweep of Redis keys kept outside the revisioned keyspace,
 * on an in-process 3-node cluster: a key of database 2 set with a TTL (through
 * the log, as the RESP port proposes it) is removed on every node by the
 * sweeper's expire_keys, so each node's DBSIZE for database 2 drops to 0, while
 * a key without a TTL stays.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { utf8 } from "../../src/util/bytes.ts";
import { startCluster } from "./cluster_helpers.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("redis expiry on a cluster: the sweep removes a database-2 key on every node", {
  timeout: 60_000,
}, async () => {
  const c = await startCluster(3);
  try {
    const leader = c.servers.get(await c.leader());
    assert.ok(leader !== undefined);
    const set = (...args: string[]) =>
      leader.node.execute({
        proposedAtMs: BigInt(Date.now()),
        body: { case: "redis", value: { db: 2, commands: [{ args: args.map(utf8) }] } },
      });
    const started = Date.now();
    await set("set", "short", "v", "px", "1500");
    await set("set", "kept", "v");
    // Both were stored (checked only while the first is surely not yet due).
    const leaderCount = leader.node.engine.kv.redisKeyCount(2);
    if (Date.now() - started < 1000) assert.equal(leaderCount, 2);
    const counts = () => [...c.servers.values()].map((s) => s.node.engine.kv.redisKeyCount(2));
    // Bounded wait: up to 15 s (the key is due 1.5 s in; the sweep runs every 100 ms).
    for (let i = 0; i < 300 && counts().some((n) => n !== 1); i++) await sleep(50);
    assert.deepEqual(counts(), [1, 1, 1], "every node removed the expired key, kept the other");
  } finally {
    await c.close();
  }
});
