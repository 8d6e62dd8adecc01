/**
 * Large values through the compiled binary on both data ports, with the
 * nodes' resident memory printed. A 100 MiB value and its memory bound:
 * large_values_100mib_test.ts.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { BinaryCluster } from "./binary_cluster.ts";

test("binary: 1 MiB and 10 MiB values round-trip on the protobuf and RESP ports", {
  timeout: 120_000,
}, async () => {
  const c = await BinaryCluster.start(3);
  const kv = c.client({ deadlineMs: 60_000, attemptTimeoutMs: 30_000 });
  const leader = await c.leader();
  const follower = [...c.nodes.values()].find((n) => n.id !== leader);
  assert.ok(follower);
  const redis = new Redis({ port: follower.respPort, host: "127.0.0.1" });
  try {
    for (const mib of [1, 10]) {
      const value = new Uint8Array(mib << 20).map((_, i) => (i * 7) & 0xff);
      await kv.put(`pb-${mib}`, value);
      const got = await kv.get(`pb-${mib}`);
      assert.deepEqual(got, value);
      assert.equal(await redis.set(`resp-${mib}`, Buffer.from(value)), "OK");
      const back = await redis.getBuffer(`resp-${mib}`);
      assert.ok(back !== null && Buffer.compare(back, Buffer.from(value)) === 0);
      const rss = [...c.nodes.values()].map((n) =>
        `node ${n.id}: ${Math.round((c.memoryKb(n.id) ?? 0) / 1024)} MiB`
      );
      console.log(`${mib} MiB values: ${rss.join(", ")}`);
    }
  } finally {
    redis.disconnect();
    kv.close();
    await c.stop();
  }
});
