/**
 * Large values through the compiled binary on both data ports, with the
 * nodes' resident memory printed. A 100 MiB value and its memory bound:
 * large_values_100mib_test.ts.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { Redis } from "ioredis";
import { TinyKvClient } from "../../src/client/tinykv_client.ts";
import { getPlatform } from "../../src/platform/detect.ts";
import { BinaryCluster } from "./binary_cluster.ts";

function rssMiB(pid: number | undefined): number {
  const s = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(s)?.[1]) / 1024);
}

test("binary: 1 MiB and 10 MiB values round-trip on the protobuf and RESP ports", {
  timeout: 120_000,
}, async () => {
  const c = await BinaryCluster.start(3);
  const platform = getPlatform();
  const kv = new TinyKvClient({
    endpoints: c.endpoints.split(","),
    net: platform.net,
    clock: platform.clock,
    seed: 1,
    deadlineMs: 60_000,
    attemptTimeoutMs: 30_000,
  });
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
      const rss = [...c.nodes.values()].map((n) => `node ${n.id}: ${rssMiB(n.proc?.pid)} MiB`);
      console.log(`${mib} MiB values: ${rss.join(", ")}`);
    }
  } finally {
    redis.disconnect();
    kv.close();
    await c.stop();
  }
});
