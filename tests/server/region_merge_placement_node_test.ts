/**
 * Merge planned by placement, on real nodes (docs/regions.md "Merge", "Who plans a merge"): four
 * in-process nodes with `--replicas 3` split into several regions, and placement leaves each on
 * three of the four nodes (region_spread_helpers.ts), so adjacent regions start on different
 * replica sets, which the nodes never merge by themselves. One client deletes most keys and runs
 * transactions on the rest; the regions shrink, the placement leader's merge checker moves
 * replicas until neighbours match, and the nodes merge them: fewer regions, every key left
 * readable (point reads and a scan) through every node, nothing deleted comes back.
 *
 * Placement saw the emptied regions as small only once nodes reported a region's exact current
 * bytes when small (node_region_catalog.ts): the size estimate keeps deleted versions until the
 * engine compacts them, and with it the merge checker never aligned anything here.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { PlacementLeader } from "../../src/server/placement/placement_leader.ts";
import { compareBytes, fromUtf8 } from "../../src/util/bytes.ts";
import type { TestCluster } from "./cluster_helpers.ts";
import { until } from "./region_split_helpers.ts";
import { splitRegions, spreadCluster, voters } from "./region_spread_helpers.ts";

/** A quarter of the split size (2 KiB): a region of a few keys left is small. */
const MERGE_BYTES = 512;

/** Adjacent split regions (in key order) whose voters differ. */
function differingPairs(c: TestCluster): number {
  const all = splitRegions(c).sort((a, b) => compareBytes(a.start, b.start));
  let n = 0;
  for (let i = 0; i + 1 < all.length; i++) {
    if (voters(all[i]).join() !== voters(all[i + 1]).join()) n++;
  }
  return n;
}

/** The placement leaders seen so far (leadership may move while the test runs). */
function noteLeaders(c: TestCluster, seen: Set<PlacementLeader>): boolean {
  for (const s of c.servers.values()) {
    const l = s.node.raft.placement.leader;
    if (l !== undefined) seen.add(l);
  }
  return true;
}

test("merge planned by placement: spread regions shrink, align and merge", {
  timeout: 240_000,
}, async () => {
  const { c, written } = await spreadCluster(4, { regionMergeBytes: MERGE_BYTES });
  try {
    const before = splitRegions(c).length;
    assert.ok(differingPairs(c) > 0, "some neighbours start on different nodes");
    const leaders = new Set<PlacementLeader>();
    const client = c.client();
    const kept = new Map<string, string>();
    for (const [k, v] of [...written].sort()) {
      noteLeaders(c, leaders);
      if (k.endsWith("0") && kept.size < 4) kept.set(k, v);
      else assert.equal(await client.delete(k), true, k);
    }
    for (const k of kept.keys()) {
      const r = await client.txn({
        compare: [{ key: k, target: "value", result: "=", value: kept.get(k) ?? "" }],
        success: [{ put: { key: k, value: `${k}-txn` } }],
      });
      assert.equal(r.succeeded, true, k);
      kept.set(k, `${k}-txn`);
    }
    await until(
      `regions merged (from ${before})`,
      () => noteLeaders(c, leaders) && splitRegions(c).length <= 2,
      120_000,
    );
    await until(
      "merged sources dropped",
      () => [...c.servers.values()].every((s) => s.node.local.host.withMerged().length <= 3),
      30_000,
    );
    const aligns = [...leaders].reduce((n, l) => n + l.scheduler.counts.mergeAligns, 0);
    assert.ok(aligns > 0, "placement moved replicas to align neighbours");
    await client.put("k0001", "after-merge");
    kept.set("k0001", "after-merge");
    for (const id of c.servers.keys()) {
      const one = c.client([id]);
      const page = await one.scan({ prefix: "k", limit: 1000 });
      assert.deepEqual(page.items.map((i) => fromUtf8(i.key)), [...kept.keys()].sort(), `${id}`);
      for (const k of new Set([...written.keys(), ...kept.keys()])) {
        const v = await one.get(k);
        assert.equal(v === undefined ? undefined : fromUtf8(v), kept.get(k), `${k} on ${id}`);
      }
    }
  } finally {
    await c.close();
  }
});
