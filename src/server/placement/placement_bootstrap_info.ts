/**
 * What a new placement leader bootstraps the group with when it finds it empty
 * (placement_leader.ts): the nodes of `--peers` and region 1's replicas, each with its address
 * (this node's zone is the one it knows), and region 1's descriptor.
 */
import { initialRegion } from "../../region/descriptor.ts";
import type { RegionCatalog } from "../../region/region_catalog.ts";
import type { ResolvedNodeOptions } from "../node/options.ts";

export function bootstrapInfo(
  o: ResolvedNodeOptions,
  catalog: RegionCatalog | undefined,
  addressOf: (id: number) => string | undefined,
) {
  const ids = [...o.peers.keys()].sort((a, b) => a - b);
  const region = catalog?.descriptor(1) ?? initialRegion(ids);
  const all = new Set([...ids, ...region.replicas.map((p) => p.nodeId)]);
  const nodes = [...all].sort((a, b) => a - b).map((id) => ({
    nodeId: id,
    address: addressOf(id) ?? "",
    zone: id === o.id ? o.placement.zone : "",
  }));
  return { nodes, region };
}
