/**
 * Finding a node that holds only some regions, in an in-process cluster whose placement keeps
 * fewer replicas than nodes (`placement.replicas` 2 of 3 nodes) once a region split: the layout
 * the tests of forwarding and of reads across regions on such a node need.
 */
import { containsKey, type RegionDescriptor } from "../../src/region/descriptor.ts";
import { utf8 } from "../../src/util/bytes.ts";
import type { TestCluster } from "./cluster_helpers.ts";
import type { RawClient } from "./resp/resp_test_client.ts";

/** Nodes that split small regions and keep two replicas of each: with 3 nodes, some lack one. */
export const PARTIAL_OPTIONS = {
  regionSplitBytes: 2048,
  splitCheckMs: 40,
  placement: { heartbeatMs: 50, replicas: 2 },
} as const;

/** Every split region (not region 1) as its leader applied it. */
export function splitRegions(c: TestCluster): RegionDescriptor[] {
  const out = new Map<number, RegionDescriptor>();
  for (const s of c.servers.values()) {
    for (const r of s.node.local.host.all()) {
      if (r.id !== 1 && r.group.rawNode.isLeader) out.set(r.id, r.kv.descriptor);
    }
  }
  return [...out.values()];
}

/**
 * A node and a split region with two replicas and at least `atLeast` of `keys`, neither on that
 * node nor hosted there (nor being removed from it).
 */
export function lacking(
  c: TestCluster,
  keys: readonly string[],
  atLeast: number,
): { node: number; region: RegionDescriptor } | undefined {
  for (const d of splitRegions(c)) {
    if (d.replicas.length !== 2) continue;
    if (keys.filter((k) => containsKey(d, utf8(k))).length < atLeast) continue;
    for (const [id, s] of c.servers) {
      const local = s.node.local;
      const away = !d.replicas.some((p) => p.nodeId === id) && local.removal.pending === 0 &&
        local.host.region(d.id) === undefined;
      if (away) return { node: id, region: d };
    }
  }
  return undefined;
}

/**
 * One RESP command, sent again (at most 5 times, 200 ms apart) while the node answers TRYAGAIN or
 * CLUSTERDOWN (nothing applied: a leader changing while placement moves replicas); `reads`:
 * TIMEOUT too (a read that timed out on its forwarding hop wrote nothing).
 */
export async function respRetrying(
  resp: RawClient,
  args: string[],
  reads = false,
): Promise<string> {
  let reply = "";
  for (let attempt = 1; attempt <= 5; attempt++) {
    reply = await resp.one(...args);
    const again = /^-(TRYAGAIN|CLUSTERDOWN)/.test(reply) || (reads && reply.startsWith("-TIMEOUT"));
    if (!again) return reply;
    await new Promise((r) => setTimeout(r, 200));
  }
  return reply;
}
