/**
 * The timestamp oracle follows region 1's leader on real nodes (docs/regions.md "The oracle
 * follows region 1's leader"): three in-process nodes with splitting on, split once (writes take
 * timestamps from the first split on: stamping.ts), the test's keys in region 1; region 1's
 * leadership is moved to a node that does not lead region 0, and the placement leader hands
 * region 0 to it within a few scheduler passes; the writes then draw their timestamps on their
 * own node, and timestamps keep increasing across the change.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { PlacementNode } from "../../src/server/placement/placement_node.ts";
import { startCluster, type TestCluster } from "./cluster_helpers.ts";
import { SPLIT, splitInto, until } from "./region_split_helpers.ts";

/** Keys k0000.. split the keyspace; "before" and "after…" sort below them, in region 1. */
const OPTIONS = { ...SPLIT, placement: { heartbeatMs: 50, replicas: 3 } } as const;

function placementOf(c: TestCluster, id: number): PlacementNode {
  const s = c.servers.get(id);
  if (s === undefined) throw new Error(`node ${id} is not running`);
  return s.node.raft.placement;
}

/** The node leading region 0 (the oracle), or 0. */
function oracleNode(c: TestCluster): number {
  return [...c.servers.keys()].find((id) => placementOf(c, id).leader !== undefined) ?? 0;
}

/** The node leading region 1, or 0. */
function region1Node(c: TestCluster): number {
  return [...c.servers].find(([, s]) => s.node.status().role === "leader")?.[0] ?? 0;
}

test("oracle follow: region 0's leadership moves to region 1's leader", {
  timeout: 90_000,
}, async () => {
  const c = await startCluster(3, 20, undefined, OPTIONS);
  try {
    await c.leader();
    await until("a placement leader", () => oracleNode(c) !== 0, 20_000);
    const client = c.client();
    await splitInto(c, client, 2);
    await client.put("before", "1");
    const first = (await client.getEntry("before"))?.modRevision ?? 0;
    // Put region 1's leadership where the oracle is not (retried: an election may intervene).
    let target = 0;
    for (let attempt = 0; attempt < 5; attempt++) {
      const lead = region1Node(c);
      const oracle = oracleNode(c);
      target = [1, 2, 3].find((id) => id !== oracle && id !== lead) ?? 0;
      if (lead === 0 || target === 0) {
        await new Promise((r) => setTimeout(r, 200));
        continue;
      }
      try {
        await c.servers.get(lead)?.node.transferLeader(target);
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    await until("region 0 led where region 1 is", () => {
      const lead = region1Node(c);
      return lead !== 0 && oracleNode(c) === lead;
    }, 30_000);
    const follows = [...c.servers.keys()].reduce(
      (n, id) => n + placementOf(c, id).oracle.transfers,
      0,
    );
    assert.ok(follows >= 1, "a placement leader handed region 0 over");
    // Writes now take their timestamps on the node that proposes them, above the earlier ones.
    const here = region1Node(c);
    const served = placementOf(c, here).tsoCounts.requests;
    let last = first;
    for (let i = 0; i < 10; i++) {
      await client.put(`after${i}`, String(i));
      const revision = (await client.getEntry(`after${i}`))?.modRevision ?? 0;
      assert.ok(revision > last, `write ${i}: revision ${revision} after ${last}`);
      last = revision;
    }
    if (region1Node(c) === here && oracleNode(c) === here) {
      assert.ok(placementOf(c, here).tsoCounts.requests > served, "timestamps drawn locally");
    }
  } finally {
    await c.close();
  }
});
