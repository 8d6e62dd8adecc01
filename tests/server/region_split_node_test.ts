/**
 * The node holding many regions (docs/regions.md "The node holding many regions"): three
 * in-process nodes with a small `regionSplitBytes` split into several regions under writes;
 * every acknowledged write reads back through every node (a node forwards to the key's region
 * leader); the regions survive a restart; commands over keys of several regions are refused.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { fromUtf8 } from "../../src/util/bytes.ts";
import { startCluster, type TestCluster } from "./cluster_helpers.ts";

const SPLIT = { regionSplitBytes: 2048, splitCheckMs: 40 };

function key(i: number): string {
  return `k${String(i).padStart(4, "0")}`;
}

async function until(what: string, ok: () => boolean, ms = 10_000): Promise<void> {
  for (let i = 0; i < ms / 20; i++) {
    if (ok()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`${what}: not within ${ms} ms`);
}

function regionCounts(c: TestCluster): number[] {
  return [...c.servers.values()].map((s) => s.node.local.host.count);
}

/** Every write reads back, linearizably, through each node alone (reads of other regions too). */
async function readAll(c: TestCluster, written: ReadonlyMap<string, string>): Promise<void> {
  for (const id of [1, 2, 3]) {
    const one = c.client([id]);
    for (const [k, v] of written) {
      assert.equal(fromUtf8(await one.get(k) ?? new Uint8Array(0)), v, `${k} on node ${id}`);
    }
    // A scan over every region, stitched in key order by the node (one engine).
    const page = await one.scan({ prefix: "k", limit: 1000 });
    assert.deepEqual(page.items.map((i) => fromUtf8(i.key)), [...written.keys()].sort());
  }
}

test("region split node: splits under writes; reads through every node; restart", async () => {
  const c = await startCluster(3, 20, undefined, SPLIT);
  try {
    await c.leader();
    const client = c.client();
    const written = new Map<string, string>();
    for (let i = 0; i < 240; i++) {
      const k = key((i * 37) % 240);
      const v = `value-${i}-${"x".repeat(60)}`;
      await client.put(k, v);
      written.set(k, v);
    }
    await until("4 regions on every node", () => regionCounts(c).every((n) => n >= 4));
    await readAll(c, written);
    // The regions cover the keyspace, contiguous, each with a leader every node agrees on.
    const regions = await client.regions();
    assert.ok(regions.length >= 4, `${regions.length} regions`);
    assert.equal(regions[0].start.length, 0);
    assert.equal(regions[regions.length - 1].end.length, 0);
    for (let i = 1; i < regions.length; i++) {
      assert.deepEqual(regions[i].start, regions[i - 1].end);
      assert.ok(regions[i].epoch.version > 1);
    }
    await until(
      "every region has a leader",
      () =>
        [...c.servers.values()].every((s) =>
          s.node.local.host.all().every((r) => r.group.rawNode.lead !== 0)
        ),
    );

    // A restarted node reopens every region from its engine and log, and catches up.
    const before = c.servers.get(3)?.node.local.host.count ?? 0;
    await c.stop(3);
    for (let i = 0; i < 40; i++) {
      const k = key(240 + i);
      const v = `after-${i}`;
      await client.put(k, v);
      written.set(k, v);
    }
    await c.start(3);
    assert.ok((c.servers.get(3)?.node.local.host.count ?? 0) >= before);
    await readAll(c, written);
  } finally {
    await c.close();
  }
});
