/**
 * Region snapshots on nodes holding many regions (docs/regions.md "The node holding many
 * regions"): once regions split, a replica that fell behind a region's compacted log installs
 * that region's image (its range and region-local records) into its shared engine; the other
 * regions are not touched, and nothing replaces the whole engine.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { fromUtf8 } from "../../src/util/bytes.ts";
import { startCluster } from "./cluster_helpers.ts";
import { hostOf, key, noise, SPLIT, until as waitUntil } from "./region_split_helpers.ts";

/** Waits as the shared `until` does, a little longer (a snapshot's install under load). */
const until = (what: string, ok: () => boolean, ms = 15_000) => waitUntil(what, ok, ms);

test("region snapshot node: a lagging replica catches up by region images", {
  timeout: 60_000,
}, async () => {
  // Compacting every 20 entries: a replica down for a while needs a snapshot.
  const c = await startCluster(3, 20, 20, SPLIT);
  try {
    await c.leader();
    const client = c.client();
    const written = new Map<string, string>();
    for (let i = 0; i < 100; i++) {
      const k = key((i * 37) % 100);
      written.set(k, `v${i}-${noise(120)}`);
      await client.put(k, written.get(k) ?? "");
    }
    const counts = () => [1, 2, 3].map((id) => hostOf(c, id).count);
    // Splits take their ids from the placement service: on a loaded machine the last of them
    // can land well after the writes.
    await until("4 regions, alike on every node", () => {
      const n = counts();
      return n[0] >= 4 && n.every((x) => x === n[0]);
    }, 30_000).catch((err) => {
      const held = [1, 2, 3].map((id) => `node ${id}: ${hostOf(c, id).all().map((r) => r.id)}`);
      throw new Error(`${(err as Error).message}; ${held.join("; ")}`);
    });
    // No more splits: the lagging node must not miss one (that path is not built yet).
    for (const id of [1, 2, 3]) c.servers.get(id)?.node.local.splitCheck.stop();
    const regions = hostOf(c, 1).all().map((r) => r.kv.descriptor);
    const last = regions[regions.length - 1];
    const quiet = regions[1]; // written to before node 3 stops, not after
    // Node 3 must not lead the quiet region when it stops: the new leader's entry, made while
    // node 3 is down, may be compacted past it (the shared log compacts every region with
    // entries applied since its last compaction once its oldest segment is crowded), and node 3
    // would then take an image (a CI run under load). So it hands the leadership over first and
    // applies everything the region's leader has.
    const driver3 = c.servers.get(3)?.node.raft.driver;
    await until("node 3 follows the quiet region, caught up", () => {
      const r3 = hostOf(c, 3).region(quiet.id);
      if (r3?.group.rawNode.isLeader === true) {
        void driver3?.transferLeader(quiet.id, 1);
        return false;
      }
      const others = [1, 2].map((id) => hostOf(c, id).region(quiet.id)?.kv.appliedIndex ?? 0);
      return (r3?.kv.appliedIndex ?? 0) >= Math.max(...others);
    });
    const before = hostOf(c, 3).region(quiet.id)?.kv.appliedIndex ?? 0;
    await c.stop(3);
    // Many writes to the last region (its log compacts past node 3) and to region 1.
    const lastKeys = [...written.keys()].filter((k) => k >= fromUtf8(last.start));
    for (let i = 0; i < 60; i++) {
      const k = lastKeys[i % lastKeys.length];
      written.set(k, `late${i}`);
      await client.put(k, `late${i}`);
    }
    const firstKey = [...written.keys()].sort()[0];
    for (let i = 0; i < 30; i++) {
      written.set(firstKey, `first${i}`);
      await client.put(firstKey, `first${i}`);
    }
    await c.start(3);
    const host3 = hostOf(c, 3);
    await until(
      "node 3 installs the last region's image",
      () => (host3.snapshotsInstalled.get(last.id) ?? 0) > 0,
    );
    // The quiet region caught up by log: no image replaced its records. Its log may have
    // grown by a new leader's empty entry (node 3 may have led it), never by an image.
    const applied = (id: number) => hostOf(c, id).region(quiet.id)?.kv.appliedIndex ?? 0;
    await until("the quiet region caught up by log", () => applied(3) === applied(1));
    assert.ok(applied(3) >= before);
    assert.equal(host3.snapshotsInstalled.get(quiet.id) ?? 0, 0);
    const one = c.client([3]);
    const page = await one.scan({ prefix: "k", limit: 1000 });
    assert.deepEqual(page.items.map((i) => fromUtf8(i.key)), [...written.keys()].sort());
    for (const item of page.items) {
      assert.equal(fromUtf8(item.value), written.get(fromUtf8(item.key)));
    }
    // Region 1 too came as its region image, and no snapshot replaced the whole engine.
    const node3 = c.servers.get(3)?.node;
    await until("region 1's image installed", () => (node3?.engine.installed ?? 0) > 0);
    assert.equal(node3?.snapshotsReceived.received ?? 0, 0);
    // Key counts per region stay right after the images (each region's own records).
    const total = host3.all().reduce((n, r) => n + r.kv.kv.keyCount, 0);
    assert.equal(total, written.size);
  } finally {
    await c.close();
  }
});
