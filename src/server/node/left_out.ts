/**
 * A replica left out of its own configuration (docs/regions.md "Removed replicas"): it applied a
 * configuration that no longer lists this node, and stays — answering votes and appends, never
 * campaigning — until placement's tombstone or a quiet spell drops it (region_operators.ts).
 * Meanwhile it serves nothing: its range is another node's, and its data stops moving. Region 1,
 * the cluster's membership, is never left out here (a node removed from the cluster stops).
 */
import type { RegionDescriptor } from "../../region/descriptor.ts";
import type { HostedRegion } from "./hosted_region.ts";
import type { RegionHost } from "./region_host.ts";

/** Region `d` as node `selfId` applied it no longer lists the node (its voters known). */
export function isLeftOut(d: RegionDescriptor, selfId: number): boolean {
  if (d.id === 1 || !d.replicas.some((p) => p.role === "voter")) return false;
  return !d.replicas.some((p) => p.nodeId === selfId);
}

/** Whether `r` is not merged away (its replica here waits to be dropped otherwise). */
export const unmerged = (r: HostedRegion): boolean => r.kv.merge?.stage !== "merged";

/** Every region `host` holds, not merged away, those left out included (`all` skips them). */
export function hostedRegions(host: RegionHost): HostedRegion[] {
  return host.withMerged().filter(unmerged);
}
