/**
 * A node with splitting on whose region 1 has not split yet (its descriptor has no record, so
 * neither has its image: src/server/node/region_snapshots.ts `imageHead`) catches a replica up
 * by a region image. Before, every such image was refused as "no descriptor", the leader sent
 * them for good, and the replica never caught up.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { startCluster } from "./cluster_helpers.ts";
import { hostOf, key, noise, until } from "./region_split_helpers.ts";
import { descriptorKey, readDescriptor } from "../../src/kv/region_descriptor_record.ts";

/** Splitting on, but far above what the test writes: region 1 stays whole. */
const NO_SPLIT_YET = { regionSplitBytes: 64 << 20, splitCheckMs: 40 } as const;

test("region 1's first image: a replica behind a compacted log catches up before any split", {
  timeout: 90_000,
}, async () => {
  // Compacting every 20 entries: a replica down for a while needs a snapshot.
  const c = await startCluster(3, 20, 20, NO_SPLIT_YET);
  try {
    await c.leader();
    const client = c.client();
    for (let i = 0; i < 40; i++) await client.put(key(i), noise(200));
    const engine = (id: number) => {
      const db = c.servers.get(id)?.node.engine.db;
      if (db === undefined) throw new Error(`node ${id} is not running`);
      return db;
    };
    assert.equal(engine(1).get(descriptorKey(1)), undefined, "region 1 has no record yet");
    await c.stop(3);
    const written = new Map<string, string>();
    for (let i = 0; i < 80; i++) {
      const k = key(i % 50), v = `late${i}-${noise(200)}`;
      written.set(k, v);
      await client.put(k, v);
    }
    await c.start(3);
    const node3 = () => c.servers.get(3)?.node;
    await until(
      "node 3 installs region 1's image",
      () => (node3()?.engine.installed ?? 0) > 0,
      30_000,
    );
    const applied = (id: number) => hostOf(c, id).region(1)?.kv.appliedIndex ?? 0;
    await until("node 3 caught up", () => applied(3) >= applied(1), 30_000);
    assert.equal(hostOf(c, 3).count, 1, "still one region");
    for (const [k, v] of written) {
      const got = hostOf(c, 3).region(1)?.kv.kv.get(new TextEncoder().encode(k));
      assert.equal(got === undefined ? undefined : new TextDecoder().decode(got.value), v, k);
    }
    // The installed record is the descriptor the others imply: the whole keyspace, epoch 1/1,
    // the three voters.
    const d = readDescriptor(engine(3), 1);
    assert.deepEqual(d, hostOf(c, 1).region(1)?.kv.descriptor);
    assert.deepEqual(d?.replicas.map((r) => r.nodeId).sort(), [1, 2, 3]);
    // And it keeps taking writes.
    await client.put("after", "image");
    await until("node 3 applies the next write", () => applied(3) >= applied(1), 10_000);
  } finally {
    await c.close();
  }
});
