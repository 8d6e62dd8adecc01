/**
 * Clusters whose nodes hold only some regions: four in-process nodes with `--replicas 3` split into
 * several regions, and placement takes each split region down to three replicas, so each node
 * lacks some (region 1, the cluster's membership, stays on every node). The tests of requests
 * through nodes that lack a key's region, and of merges planned by placement, start from here.
 */
import type { RegionDescriptor } from "../../src/region/descriptor.ts";
import type { ServerConfig } from "../../src/server/server.ts";
import { startCluster, type TestCluster } from "./cluster_helpers.ts";
import { key, noise, putRetrying, until } from "./region_split_helpers.ts";
import { hostedRegions } from "../../src/server/node/left_out.ts";

export const SPREAD = {
  regionSplitBytes: 2048,
  splitCheckMs: 40,
  placement: { heartbeatMs: 50, replicas: 3 },
} as const;

/** Every region other than region 1, as its leader applied it. */
export function splitRegions(c: TestCluster): RegionDescriptor[] {
  const out = new Map<number, RegionDescriptor>();
  for (const s of c.servers.values()) {
    for (const r of s.node.local.host.all()) {
      if (r.id !== 1 && r.group.rawNode.isLeader) out.set(r.id, r.kv.descriptor);
    }
  }
  return [...out.values()].sort((a, b) => a.id - b.id);
}

export function voters(d: RegionDescriptor): number[] {
  return d.replicas.filter((p) => p.role === "voter").map((p) => p.nodeId).sort((a, b) => a - b);
}

/** The regions node `id` hosts, once no removal is under way there (its keys cleared). */
export function hostedOn(c: TestCluster, id: number): number[] {
  const local = c.servers.get(id)?.node.local;
  if (local === undefined || local.removal.pending > 0) return [];
  return hostedRegions(local.host).map((r) => r.id).sort((a, b) => a - b); // left out too
}

/**
 * Each split region (at least `regions`) led, with three voters and no learner, and each node
 * hosting exactly region 1 and the split regions that name it.
 */
export function spread(c: TestCluster, regions: number): boolean {
  const all = splitRegions(c);
  if (all.length < regions) return false;
  const hosted = new Set<number>();
  for (const s of c.servers.values()) {
    for (const r of hostedRegions(s.node.local.host)) hosted.add(r.id);
  }
  if (hosted.size !== all.length + 1) return false; // a region without a leader now
  if (!all.every((d) => d.replicas.length === 3 && voters(d).length === 3)) return false;
  return [...c.servers.keys()].every((id) => {
    const mine = all.filter((d) => d.replicas.some((p) => p.nodeId === id)).map((d) => d.id);
    return hostedOn(c, id).join() === [1, ...mine].sort((a, b) => a - b).join();
  });
}

/** Where the regions stand, for a failure's message. */
export function layout(c: TestCluster): string {
  const regions = splitRegions(c).map((d) =>
    `${d.id}@${d.epoch.version}/${d.epoch.confVer}:` +
    d.replicas.map((p) => `${p.nodeId}${p.role === "voter" ? "" : "L"}`).join(",")
  );
  const nodes = [...c.servers].map(([id, s]) => {
    const local = s.node.local;
    const held = hostedRegions(local.host).map((r) =>
      `${r.id}${r.group.rawNode.isLeader ? "*" : ""}${r.group.rawNode.lead === 0 ? "?" : ""}`
    );
    return `node ${id} [${held.join(" ")}] removing ${local.removal.pending}`;
  });
  return `regions ${regions.join(" ")}; ${nodes.join("; ")}`;
}

/**
 * Starts four nodes (`extra` added to every node's config), writes k0000..k0099 until region 1
 * has split into at least `regions` regions, stops the split checks and waits until placement has
 * left each split region on three of the four nodes. Resolves with the cluster and what was
 * written (through a client of its own, closed).
 */
export async function spreadCluster(
  regions: number,
  extra: Partial<ServerConfig> = {},
): Promise<{ c: TestCluster; written: Map<string, string> }> {
  const c = await startCluster(4, 20, undefined, { ...SPREAD, ...extra });
  try {
    await c.leader();
    const client = c.client();
    const written = new Map<string, string>();
    for (let i = 0; i < 400; i++) {
      const k = key((i * 37) % 100);
      written.set(k, `v${i}-${noise(120)}`);
      await putRetrying(client, k, written.get(k) ?? "");
      if (i >= 100 && splitRegions(c).length >= regions) break;
    }
    client.close();
    for (const s of c.servers.values()) s.node.local.splitCheck.stop();
    try {
      await until(
        `${regions} split regions, each on three nodes`,
        () => spread(c, regions),
        // Placement's moves, tombstones and (with merge on) merges take a while on a loaded
        // machine: CI saw one still settling at 60 s under three other suites' load.
        120_000,
      );
    } catch (err) {
      throw new Error(`${err instanceof Error ? err.message : err}; ${layout(c)}`);
    }
    return { c, written };
  } catch (err) {
    await c.close();
    throw err;
  }
}
