/**
 * The placement group follows the cluster (docs/regions.md "The placement group follows the
 * cluster"): three in-process nodes with splitting on (every write needs a timestamp from region
 * 0) lose two of region 0's first voters one at a time — node 4 joins and node 1 is removed, then
 * node 5 joins and node 2 is removed — and region 0's voters move to the new nodes: writes keep
 * working after each step. `member remove` returns once region 0 no longer counts the node;
 * node 1, left running, drops its replica. And a drained placement leader is replaced, handing
 * its leadership to another voter first.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { PLACEMENT_REGION } from "../../../src/server/placement/placement_options.ts";
import { startCluster, type TestCluster } from "../cluster_helpers.ts";
import { TinyKvClient } from "../../../src/client/tinykv_client.ts";
import { getPlatform } from "../../../src/platform/detect.ts";
import type { ConfState } from "../../../src/raft/core/messages.ts";
import { key, noise, putRetrying, until } from "../region_split_helpers.ts";

const OPTIONS = {
  regionSplitBytes: 2048,
  splitCheckMs: 40,
  placement: { heartbeatMs: 50, replicas: 3 },
} as const;

/** Region 0's configuration as its leader holds it (undefined while no node leads it). */
function groupConf(c: TestCluster): ConfState | undefined {
  for (const s of c.servers.values()) {
    const rn = s.node.raft.driver.region(PLACEMENT_REGION)?.rawNode;
    if (rn?.isLeader === true) return rn.status().confState;
  }
  return undefined;
}

/** Region 0's voters as its leader holds them ("" while no node leads it). */
function groupVoters(c: TestCluster): string {
  const cs = groupConf(c);
  if (cs === undefined) return "";
  if (cs.votersOutgoing.length > 0 || cs.learners.length > 0) return "changing";
  return [...cs.voters].sort((a, b) => a - b).join(",");
}

/**
 * An admin client that waits as long as a change may take (`member remove` waits for region 0:
 * up to PLACEMENT_GROUP_LEAVE_WAIT_MS), so a slow answer is not sent again.
 */
function adminClient(c: TestCluster, ids: number[]): TinyKvClient {
  const platform = getPlatform();
  return new TinyKvClient({
    // The initial nodes' addresses (a joined node's is its own); NOT_LEADER names the leader's.
    endpoints: ids.flatMap((id) => c.peers.get(id) ?? []),
    net: platform.net,
    clock: platform.clock,
    seed: platform.randomSeed(),
    deadlineMs: 60_000,
    attemptTimeoutMs: 30_000,
  });
}

/** A membership change the leader refused for now (a member not heard from yet): tried again. */
async function retried<T>(run: () => Promise<T>): Promise<T> {
  for (let attempt = 1;; attempt++) {
    try {
      return await run();
    } catch (err) {
      if (attempt >= 50 || !/no reachable quorum|caught up/.test(String(err))) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/**
 * Every KV region hosted on a running node has a leader there whose configuration leaves `node`
 * out. A region without a leader at the moment counts as not done: skipped, it passed while its
 * leader was between terms, and a region whose voters were still {2, 3} (node 4 a learner) lost
 * its quorum when the test then stopped node 2.
 */
function kvRegionsWithout(c: TestCluster, node: number): boolean {
  const led = new Set<number>(), hosted = new Set<number>();
  for (const [id, s] of c.servers) {
    if (id === node) continue;
    for (const r of s.node.local.host.all()) {
      if (r.id === 1) continue;
      hosted.add(r.id);
      if (!r.group.rawNode.isLeader) continue;
      const cs = r.group.rawNode.status().confState;
      if ([...cs.voters, ...cs.votersOutgoing, ...cs.learners].includes(node)) return false;
      led.add(r.id);
    }
  }
  return [...hosted].every((id) => led.has(id));
}

async function writes(client: TinyKvClient, from: number, n: number): Promise<void> {
  for (let i = from; i < from + n; i++) await putRetrying(client, key(i), `v${i}-${noise(60)}`);
}

/** Node `add` joins and becomes a voter of the cluster, then node `remove` is removed. */
async function replace(c: TestCluster, ids: number[], add: number, remove: number) {
  const address = await c.startJoining(add);
  const admin = adminClient(c, ids);
  try {
    await retried(() => admin.addMember(add, address));
    await retried(() => admin.removeMember(remove));
  } finally {
    admin.close();
  }
  // `member remove` returned once the group no longer counted the node.
  const cs = groupConf(c);
  const all = [...cs?.voters ?? [], ...cs?.votersOutgoing ?? [], ...cs?.learners ?? []];
  assert.ok(!all.includes(remove), `region 0 members ${all}`);
}

test("placement group: a majority of the first three nodes replaced, writes go on", {
  timeout: 180_000,
}, async () => {
  const c = await startCluster(3, 20, undefined, OPTIONS);
  try {
    const client = c.client([1, 2, 3]);
    await writes(client, 0, 40);
    assert.equal(groupVoters(c), "1,2,3");

    await replace(c, [1, 2, 3], 4, 1);
    await until("region 0 on 2,3,4", () => groupVoters(c) === "2,3,4", 30_000);
    await until(
      "node 1 drops region 0",
      () => c.servers.get(1)?.node.raft.placement.member === false,
      30_000,
    );
    await until("no KV region counts node 1", () => kvRegionsWithout(c, 1), 30_000);
    await c.stop(1);
    const after1 = c.client([2, 3, 4]);
    await writes(after1, 40, 40);

    await replace(c, [2, 3, 4], 5, 2);
    // Region 0 no longer counts node 2 (`member remove` waited for it); the KV regions follow the
    // membership on their own (region_membership.ts) and are waited for here.
    await until("no KV region counts node 2", () => kvRegionsWithout(c, 2), 30_000);
    await c.stop(2);
    await until("region 0 on 3,4,5", () => groupVoters(c) === "3,4,5", 30_000);
    const after2 = c.client([3, 4, 5]);
    await writes(after2, 80, 40);
    for (let i = 0; i < 120; i += 7) {
      const v = new TextDecoder().decode(await after2.get(key(i)));
      assert.ok(v.startsWith(`v${i}-`), `key ${i} reads back`);
    }
    for (const id of [3, 4, 5]) {
      assert.equal(
        c.servers.get(id)?.node.raft.placement.member,
        true,
        `node ${id} holds region 0`,
      );
    }
  } finally {
    await c.close();
  }
});

test("placement group: a drained voter is replaced, the leader handing off first", {
  timeout: 180_000,
}, async () => {
  const c = await startCluster(3, 20, undefined, OPTIONS);
  try {
    const client = c.client([1, 2, 3]);
    await writes(client, 0, 20);
    const address = await c.startJoining(4);
    const admin = adminClient(c, [1, 2, 3]);
    try {
      await retried(() => admin.addMember(4, address));
    } finally {
      admin.close();
    }
    await until("a placement leader", () => groupConf(c) !== undefined, 30_000);
    const leader = [...c.servers].find(([, s]) => s.node.raft.placement.leader !== undefined);
    const drained = leader?.[0] ?? 0;
    await c.servers.get(drained)?.node.raft.placement.drainNode(drained);
    const want = [1, 2, 3, 4].filter((id) => id !== drained).join(",");
    await until(`region 0 on ${want}`, () => groupVoters(c) === want, 30_000);
    await writes(client, 20, 20);
    await until(
      `node ${drained} drops region 0`,
      () => c.servers.get(drained)?.node.raft.placement.member === false,
      30_000,
    );
  } finally {
    await c.close();
  }
});
