/**
 * `tinykv bench` against nodes that split (docs/regions.md): the preload of a get run writes
 * its keys in batches of 100, and a batch whose keys lie in several regions is refused by the
 * node (FAILED_PRECONDITION); the bench then writes that batch's keys one by one, routed, and
 * the run's reads all hit.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { bench } from "../../src/cli/bench.ts";
import { getPlatform } from "../../src/platform/detect.ts";
import { capturingHost } from "./capturing_host.ts";
import { startCluster, type TestCluster } from "../server/cluster_helpers.ts";
import type { TinyKvClient } from "../../src/client/tinykv_client.ts";
import { settle } from "../server/region_split_helpers.ts";
import { compareBytes } from "../../src/util/bytes.ts";

/** The bench's key names (src/cli/bench.ts, 16-byte keys). */
function benchKey(i: number): string {
  return `bench-${String(i).padStart(10, "0")}`;
}

/** The bench's keys written one by one until three nodes split them into at least 3 regions. */
async function splitCluster(keys: number): Promise<{ c: TestCluster; client: TinyKvClient }> {
  const c = await startCluster(3, 20, undefined, { regionSplitBytes: 2048, splitCheckMs: 40 });
  try {
    await c.leader();
    const client = c.client();
    for (let i = 0; i < keys; i++) await client.put(benchKey(i), "x".repeat(150));
    await settle(c, 3);
    const regions = await client.regions();
    assert.ok(regions.length >= 3, `${regions.length} regions`);
    return { c, client };
  } catch (err) {
    await c.close();
    throw err;
  }
}

test("bench: a get run preloads its keys across regions and every read hits", {
  timeout: 60_000,
}, async () => {
  const keys = 200;
  const { c, client } = await splitCluster(keys);
  try {
    // A batch of all of them runs as a transaction across regions.
    await client.batch(
      [benchKey(0), benchKey(keys - 1)].map((key) => ({ type: "put", key, value: "y" })),
    );
    const out: string[] = [];
    const flags = { op: "get", keys: String(keys), count: "200", concurrency: "4", json: true };
    const code = await bench(flags, client, getPlatform(), capturingHost(out));
    const summary = JSON.parse(out.join(""));
    assert.deepEqual(summary.errors, {});
    assert.equal(code, 0);
    assert.ok(summary.ops >= 200, `${summary.ops} reads`);
    for (const i of [0, keys / 2, keys - 1]) {
      assert.equal((await client.get(benchKey(i)))?.length, 100, `${benchKey(i)} preloaded`);
    }
  } finally {
    await c.close();
  }
});

test("bench: a txn run puts its keys across regions, each operation one transaction", {
  timeout: 60_000,
}, async () => {
  const keys = 200;
  const { c, client } = await splitCluster(keys);
  try {
    const before = await client.scan({ prefix: "bench-", limit: 1000 });
    const out: string[] = [];
    const flags = {
      op: "txn",
      keys: String(keys),
      count: "60",
      concurrency: "4",
      "txn-keys": "5",
      "value-size": "40",
      json: true,
    };
    const code = await bench(flags, client, getPlatform(), capturingHost(out));
    const summary = JSON.parse(out.join(""));
    assert.deepEqual(summary.errors, {});
    assert.equal(code, 0);
    assert.ok(summary.ops >= 60, `${summary.ops} transactions`);
    // Every transaction put five 40-byte values: the keys rewritten are those of at least 60
    // transactions over several regions, each key once per transaction.
    const after = await client.scan({ prefix: "bench-", limit: 1000 });
    assert.equal(after.items.length, keys);
    const rewritten = after.items.filter((kv) => kv.value.length === 40);
    assert.ok(rewritten.length >= 5, `${rewritten.length} keys rewritten`);
    const regions = await client.regions();
    const regionOf = (key: Uint8Array) =>
      regions.findIndex((r) =>
        compareBytes(r.start, key) <= 0 && (r.end.length === 0 || compareBytes(key, r.end) < 0)
      );
    const touched = new Set(rewritten.map((kv) => regionOf(kv.key)));
    assert.ok(touched.size >= 2, `rewritten keys in ${touched.size} regions`);
    // A revision went up once per transaction, not once per key.
    const revs = new Set(rewritten.map((kv) => kv.modRevision));
    assert.ok(revs.size <= summary.ops, `${revs.size} revisions for ${summary.ops} transactions`);
    assert.equal(before.items.length, keys);
  } finally {
    await c.close();
  }
});

test("bench: --op txn is refused with a clear message for a bad --txn-keys", async () => {
  await assert.rejects(
    bench({ op: "txn", "txn-keys": "129" }, undefined as never, getPlatform(), capturingHost([])),
    /--txn-keys must be 0..128/,
  );
  await assert.rejects(
    bench({ op: "scan" }, undefined as never, getPlatform(), capturingHost([])),
    /--op must be put, get, mixed or txn/,
  );
});
