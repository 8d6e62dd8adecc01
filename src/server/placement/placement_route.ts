/**
 * Where a key's region is, as the placement service knows it (docs/regions.md "Forwarding by a
 * node without a replica"): the descriptor its leader last reported and that leader's node id.
 * A node that holds no replica of a key's region asks this before it forwards the request; the
 * answer may be stale (a split or a leader change since the last report), which the node the
 * request reaches refuses with a stale-route error, never serves wrongly.
 */
import type { PlacementState } from "../../placement/placement_state.ts";
import type { RegionDescriptor } from "../../region/descriptor.ts";

export interface PlacementRoute {
  /** Undefined when placement knows no region for the key (no report covers it yet). */
  readonly region?: RegionDescriptor;
  /** The reporting leader's node id, 0 when unknown. */
  readonly leader: number;
}

/** The route of `key` in a placement state (a member's own copy, or the leader's). */
export function routeOf(state: PlacementState, key: Uint8Array): PlacementRoute {
  const region = state.view.map.lookup(key);
  if (region === undefined) return { leader: 0 };
  return { region, leader: state.view.region(region.id)?.leader ?? 0 };
}
