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
import type { ProcessHost } from "../../src/platform/types.ts";
import { startCluster } from "../server/cluster_helpers.ts";
import { settle } from "../server/region_split_helpers.ts";

/** The bench's key names (src/cli/bench.ts, 16-byte keys). */
function benchKey(i: number): string {
  return `bench-${String(i).padStart(10, "0")}`;
}

function capturingHost(out: string[]): ProcessHost {
  return {
    argv: () => [],
    exit: (code: number): never => {
      throw new Error(`exit ${code}`);
    },
    onShutdown: () => {},
    env: () => undefined,
    writeStdout: (text: string) => out.push(text),
    writeStderr: () => {},
  };
}

test("bench: a get run preloads its keys across regions and every read hits", {
  timeout: 60_000,
}, async () => {
  const c = await startCluster(3, 20, undefined, { regionSplitBytes: 2048, splitCheckMs: 40 });
  try {
    await c.leader();
    const client = c.client();
    // The bench's own keys, written one by one until the nodes split them into regions.
    const keys = 200;
    for (let i = 0; i < keys; i++) await client.put(benchKey(i), "x".repeat(150));
    await settle(c, 3);
    const regions = await client.regions();
    assert.ok(regions.length >= 3, `${regions.length} regions`);
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
