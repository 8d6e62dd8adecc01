/**
 * Redis keys with a TTL on a real 3-node cluster: the expiry is replicated
 * (decided from the leader's clock at apply, docs/decisions/0009-key-expiry.md),
 * so every node hides the key once it expires, and the key keeps its expiry
 * across a failover.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { BinaryCluster } from "./binary_cluster.ts";
import { BINARY_ONLY_SKIP } from "../helpers/binary_only.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs a command again while the node answers that it was not applied (-TRYAGAIN,
 * -CLUSTERDOWN: right after a failover a read can meet a leadership change), at most
 * 50 times, 100 ms apart.
 */
async function retrying<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1;; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const retryable = err instanceof Error && /^(TRYAGAIN|CLUSTERDOWN)/.test(err.message);
      if (!retryable || attempt >= 50) throw err;
      await sleep(100);
    }
  }
}

function connect(port: number): Redis {
  return new Redis({ port, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 5 });
}

test("binary: a key with a TTL survives a failover with its expiry and expires on every node", {
  timeout: 90_000,
  skip: BINARY_ONLY_SKIP,
}, async () => {
  const c = await BinaryCluster.start(3);
  const clients = new Map<number, Redis>();
  try {
    const leader = await c.leader();
    for (const n of c.nodes.values()) clients.set(n.id, connect(n.respPort));
    for (const r of clients.values()) await r.connect();
    const ttlMs = 6_000;
    const setAt = Date.now();
    assert.equal(await clients.get(leader)?.set("ttl:k", "v", "PX", ttlMs), "OK");
    assert.equal(await clients.get(leader)?.hset("ttl:h", "f", "1"), 1);
    assert.equal(await clients.get(leader)?.pexpire("ttl:h", ttlMs), 1);
    await c.kill(leader, "SIGKILL");
    clients.get(leader)?.disconnect();
    clients.delete(leader);
    const next = await c.leader(20_000);
    assert.notEqual(next, leader);
    for (const [id, r] of clients) {
      // Still before the expiry (unless the election took the whole TTL: then skip the check).
      if (Date.now() - setAt < ttlMs - 1_000) {
        assert.equal(await retrying(() => r.get("ttl:k")), "v", `node ${id} before the expiry`);
        const pttl = await retrying(() => r.pttl("ttl:k"));
        assert.ok(pttl > 0 && pttl <= ttlMs, `node ${id}: PTTL ${pttl} keeps the expiry`);
        const field = await retrying(() => r.hget("ttl:h", "f"));
        assert.equal(field, "1", `node ${id}: the hash before its expiry`);
      }
    }
    await sleep(Math.max(0, ttlMs - (Date.now() - setAt)) + 300);
    for (const [id, r] of clients) {
      assert.equal(await retrying(() => r.get("ttl:k")), null, `node ${id} after the expiry`);
      const exists = await retrying(() => r.exists("ttl:h"));
      assert.equal(exists, 0, `node ${id}: the hash after its expiry`);
      assert.equal(await retrying(() => r.pttl("ttl:k")), -2);
    }
  } finally {
    for (const r of clients.values()) r.disconnect();
    await c.stop();
  }
});
