/**
 * Membership changes rewrite region 1's descriptor durably (src/server/node/region_members.ts):
 * on a 3-node in-process cluster a node is added as a learner, promoted, and another removed;
 * every node's descriptor (and the `Regions` answer) shows the replicas and a growing conf
 * version, and a node whose log was compacted past the changes still does after a restart.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { getPlatform } from "../../src/platform/detect.ts";
import { TinyKvClient } from "../../src/client/tinykv_client.ts";
import type { RegionDescriptor } from "../../src/region/descriptor.ts";
import { startCluster, type TestCluster } from "./cluster_helpers.ts";

async function until(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  for (let waited = 0; waited < ms; waited += 20) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function descriptorOn(c: TestCluster, id: number): RegionDescriptor | undefined {
  return c.servers.get(id)?.node.raft.members.descriptor;
}

/** "1v,2v,4l": the replicas of node `id`'s descriptor. */
function replicasOn(c: TestCluster, id: number): string {
  return (descriptorOn(c, id)?.replicas ?? []).map((r) => `${r.nodeId}${r.role[0]}`).join(",");
}

/** Waits until every node in `ids` has `replicas` and one conf version above `after`. */
async function settled(c: TestCluster, ids: number[], replicas: string, after: number) {
  const same = () =>
    ids.every((id) => replicasOn(c, id) === replicas) &&
    new Set(ids.map((id) => descriptorOn(c, id)?.epoch.confVer)).size === 1;
  await until(`replicas ${replicas} on ${ids}`, same);
  const confVer = descriptorOn(c, ids[0])?.epoch.confVer ?? 0;
  assert.ok(confVer > after, `conf version ${confVer} after ${after}`);
  for (const id of ids) assert.equal(descriptorOn(c, id)?.epoch.version, 1);
  return confVer;
}

test("region members: add a learner, promote, remove; the descriptor survives compaction", async () => {
  const c = await startCluster(3, 20);
  const platform = getPlatform();
  try {
    const client = c.client();
    await client.put("k", "v");
    const v0 = await settled(c, [1, 2, 3], "1v,2v,3v", 0);
    assert.equal(v0, 1, "a new cluster's region 1 is at conf version 1");

    const address = await c.startJoining(4);
    await client.addMember(4, address, { learnerOnly: true });
    const v1 = await settled(c, [1, 2, 3, 4], "1v,2v,3v,4l", v0);
    await client.addMember(4, address);
    const v2 = await settled(c, [1, 2, 3, 4], "1v,2v,3v,4v", v1);
    const leader = await c.leader();
    const removed = [1, 2, 3].find((id) => id !== leader) ?? 0;
    await client.removeMember(removed);
    const rest = [1, 2, 3, 4].filter((id) => id !== removed);
    const want = rest.map((id) => `${id}v`).join(",");
    const v3 = await settled(c, rest, want, v2);
    await c.stop(removed);

    // A follower compacts its log past every change, restarts, and still knows them.
    const follower = rest.find((id) => id !== leader) ?? 0;
    await client.put("k2", "v2");
    const node = c.servers.get(follower)?.node;
    await until(
      "the follower applies k2",
      () => node?.kv.get(new TextEncoder().encode("k2")) !== undefined,
    );
    const { index } = await node?.snapshot() ?? { index: 0 };
    assert.ok(index > v3, `compacted to ${index}, past the last change at ${v3}`);
    await c.stop(follower);
    await c.start(follower);
    assert.equal(replicasOn(c, follower), want);
    assert.equal(descriptorOn(c, follower)?.epoch.confVer, v3);

    const routed = new TinyKvClient({
      endpoints: [c.peers.get(follower) ?? ""],
      net: platform.net,
      clock: platform.clock,
      seed: 5,
      deadlineMs: 15_000,
      routing: true,
    });
    try {
      const [region] = await routed.regions();
      assert.equal(region.epoch.confVer, v3);
      assert.deepEqual(
        region.replicas.map((r) => [r.nodeId, r.role]),
        rest.map((id) => [id, "voter"]),
      );
    } finally {
      routed.close();
    }
  } finally {
    await c.close();
  }
});
