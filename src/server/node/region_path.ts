/**
 * A region's command path on a node holding many regions (region_router.ts): its proposals, and a
 * forwarder to its leader, for the hosted region it was made for — a region that left and came
 * back is a new one, whose apply resolves only its own proposals.
 */
import { CommandPath } from "./command_path.ts";
import { LeaderForwarder, peerHelloOf } from "./leader_forwarder.ts";
import type { HostedRegion } from "./region_host.ts";
import type { RegionRouterDeps } from "./region_router.ts";

export type RegionPath = { region: HostedRegion; path: CommandPath; forwarder: LeaderForwarder };

/** A new path for `region`. */
export function regionPath(d: RegionRouterDeps, region: HostedRegion): RegionPath {
  const o = d.o;
  const forwarder = new LeaderForwarder(o.net, o.clock, peerHelloOf(o));
  const path = new CommandPath({
    node: () => region.group,
    proposals: region.proposals,
    forwarder,
    faults: d.faults,
    leader: () => {
      const id = region.group.rawNode.lead;
      return { id, address: id === 0 ? "" : d.addresses.get(id) ?? "" };
    },
    timing: o,
    entry: (data, ts) => d.host.entryFor(region.id, data, ts),
    timestamps: d.timestamps,
  });
  return { region, path, forwarder };
}
