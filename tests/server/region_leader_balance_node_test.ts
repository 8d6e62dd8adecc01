/**
 * Leader balance executed by real nodes (docs/regions.md "Leader balance"): three in-process
 * nodes with a small split size split into several regions, every child led at first by the node
 * that led its parent; placement's leader balance sends transfer orders in the answers to the
 * heartbeats, the regions' leaders run Raft leadership transfers, and every node ends up leading
 * regions, the counts within the tolerance. Every write still reads back.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { startCluster, type TestCluster } from "./cluster_helpers.ts";
import { SPLIT, splitInto, until } from "./region_split_helpers.ts";

const OPTIONS = { ...SPLIT, placement: { heartbeatMs: 50, replicas: 3 } } as const;

/** Regions each node leads (region 1 included: placement counts it too), by node id. */
function leadersPerNode(c: TestCluster): number[] {
  return [...c.servers.keys()].sort((a, b) => a - b).map((id) => {
    const host = c.servers.get(id)?.node.local.host;
    return host?.all().filter((r) => r.group.rawNode.isLeader).length ?? 0;
  });
}

test("leader balance: split regions end up led by every node", { timeout: 120_000 }, async () => {
  const c = await startCluster(3, 20, undefined, OPTIONS);
  try {
    await c.leader();
    const client = c.client();
    const written = await splitInto(c, client, 7, 150);
    const regions = c.servers.get(1)?.node.local.host.count ?? 0;
    assert.ok(regions >= 7, `${regions} regions`);
    await until("every node leads regions, the counts within one", () => {
      const led = leadersPerNode(c);
      return led.reduce((a, b) => a + b, 0) === regions && Math.min(...led) > 0 &&
        Math.max(...led) - Math.min(...led) <= 1;
    }, 60_000);
    const transfers = [...c.servers.values()].reduce(
      (n, s) => n + s.node.local.operators.counts.transfers,
      0,
    );
    assert.ok(transfers > 0, "the regions' leaders ran transfers");
    for (const [k, v] of written) {
      const value = await client.get(k);
      assert.equal(value === undefined ? undefined : new TextDecoder().decode(value), v, k);
    }
  } finally {
    await c.close();
  }
});
