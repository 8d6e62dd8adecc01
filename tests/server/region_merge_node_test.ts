/**
 * Merge on nodes (docs/regions.md "Merge"; src/server/node/region_merge_check.ts): three
 * in-process nodes split into several regions under writes, then most keys are deleted and the
 * small regions merge, pair by pair, on every node alike. The keys left read back through every
 * node (point reads and a scan, unrouted and through a routing client whose cached routes the
 * merges made stale), writes land in the merged regions, key counts add up, the regions stay
 * contiguous, and a node restarted after the merges holds the same regions and data.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { TinyKvClient } from "../../src/client/tinykv_client.ts";
import { getPlatform } from "../../src/platform/detect.ts";
import { fromUtf8 } from "../../src/util/bytes.ts";
import { startCluster, type TestCluster } from "./cluster_helpers.ts";
import { hostOf, regionCounts, SPLIT, splitInto, until } from "./region_split_helpers.ts";

const platform = getPlatform();
/** Adjacent regions of at most 512 bytes of current records together merge (a quarter of 2 KiB). */
const MERGE = { ...SPLIT, regionMergeBytes: 512 };

function routingClient(c: TestCluster): TinyKvClient {
  return new TinyKvClient({
    endpoints: [...c.peers.values()],
    net: platform.net,
    clock: platform.clock,
    seed: 5,
    deadlineMs: 15_000,
    routing: true,
  });
}

/** Every node: the keys read back, the counts add up, the regions tile the keyspace. */
async function check(c: TestCluster, kept: ReadonlyMap<string, string>): Promise<void> {
  const keys = [...kept.keys()].sort();
  for (const id of c.servers.keys()) {
    const one = c.client([id]);
    const page = await one.scan({ prefix: "k", limit: 1000 });
    assert.deepEqual(page.items.map((i) => fromUtf8(i.key)), keys, `scan through ${id}`);
    for (const k of keys) {
      assert.equal(fromUtf8(await one.get(k) ?? new Uint8Array(0)), kept.get(k), `${k} on ${id}`);
    }
    const regions = hostOf(c, id).all();
    assert.equal(regions.reduce((n, r) => n + r.kv.kv.keyCount, 0), kept.size, `counts on ${id}`);
    for (let i = 0; i + 1 < regions.length; i++) {
      const a = regions[i].kv.descriptor, b = regions[i + 1].kv.descriptor;
      assert.equal(fromUtf8(a.end), fromUtf8(b.start), `regions ${a.id} and ${b.id} on ${id}`);
    }
    assert.equal(regions.at(-1)?.kv.descriptor.end.length, 0);
  }
}

/** Each node's regions (id, start key, * when led here, M while merging) and merge counts. */
function mergeState(c: TestCluster): string {
  return [...c.servers].map(([id, s]) => {
    const regions = s.node.local.host.all().map((r) =>
      `${r.id}[${fromUtf8(r.kv.descriptor.start)}]${r.group.rawNode.isLeader ? "*" : ""}` +
      `${r.kv.merge === undefined ? "" : "M"}`
    );
    return `node ${id}: ${regions.join(" ")} ${JSON.stringify(s.node.local.mergeCheck.counts)}`;
  }).join("; ");
}

test("region merge node: regions split under writes merge after deletes", {
  timeout: 120_000,
}, async () => {
  const c = await startCluster(3, 20, undefined, MERGE);
  try {
    await c.leader();
    for (const s of c.servers.values()) s.node.local.mergeCheck.stop(); // splits first
    // The flag reaches the placement leader's scheduler too: its merge checker is on.
    await until(
      "a placement leader planning merges",
      () =>
        [...c.servers.values()].some((s) =>
          s.node.raft.placement.leader?.scheduler.options.mergeBytes === MERGE.regionMergeBytes
        ),
    );
    const client = c.client();
    const written = await splitInto(c, client, 5);
    const before = regionCounts(c)[0];
    // A routing client caches the regions as they are now.
    const routed = routingClient(c);
    const sample = [...written.keys()].sort();
    for (const k of sample.slice(0, 3)) assert.ok(await routed.get(k) !== undefined);
    // Delete all but a few keys: the regions holding them shrink to nothing, and merge.
    const kept = new Map<string, string>();
    for (const [k, v] of written) {
      if (k.endsWith("0") && kept.size < 4) kept.set(k, v);
      else await client.delete(k);
    }
    for (const s of c.servers.values()) s.node.local.mergeCheck.start();
    await until(
      `regions merged on every node (from ${before})`,
      () => regionCounts(c).every((n) => n <= 2),
      60_000,
    ).catch((err) => {
      // Seen 1 in 36 runs at load 10 (and 2 of 5 under the whole suite): say where merges stood.
      throw new Error(`${err instanceof Error ? err.message : err}; ${mergeState(c)}`);
    });
    await until(
      "merged sources dropped",
      () => [...c.servers.values()].every((s) => s.node.local.host.withMerged().length <= 2),
    );
    await check(c, kept);
    // The routing client's routes are stale: it is refused, learns the merged regions, retries.
    for (const k of sample) {
      const got = await routed.get(k);
      assert.equal(got === undefined ? undefined : fromUtf8(got), kept.get(k), `${k} routed`);
    }
    await routed.put("k0099", "after-merge");
    kept.set("k0099", "after-merge");
    await client.put("k0001", "after-merge");
    kept.set("k0001", "after-merge");
    routed.close();
    await check(c, kept);
    // A node restarted after the merges reopens the same regions.
    const ranges = (id: number) => hostOf(c, id).all().map((r) => fromUtf8(r.kv.descriptor.start));
    const want = ranges(2);
    await c.stop(2);
    await c.start(2);
    await until("node 2 back with its regions", () => {
      const s = c.servers.get(2);
      return s !== undefined && ranges(2).join() === want.join();
    });
    await check(c, kept);
  } finally {
    await c.close();
  }
});
