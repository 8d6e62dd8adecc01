/**
 * Where a command's keys lie, for the region router (region_router.ts): in one region this node
 * holds, in several it holds, or (some) in regions it does not hold — then, asked of the route
 * cache and placement (remote_regions.ts), whether they lie in one region held elsewhere (the
 * command is sent on to it) or in several (a `txn`, `batch` or Redis run is a transaction across
 * regions coordinated here, docs/transactions.md "On a node holding some regions").
 */
import { ErrorCode } from "../../gen/tinykv/v1/tinykv_pb.ts";
import { isSingleKey, type KeyRange } from "../../kv/key_state.ts";
import { spanWithin } from "../../region/region_catalog.ts";
import { ServiceError } from "../kv_service.ts";
import type { HostedRegion, RegionHost } from "./region_host.ts";
import { NoLocalRegionError } from "./region_refusals.ts";
import { type RemoteRegions, spanOf } from "./remote_regions.ts";

export type LocalSpread = "one" | "several" | "away";

/** Where `spans` lie by this node's regions (`regionOfSpans`: the router's, which throws). */
export function localSpread(
  regionOfSpans: (spans: readonly KeyRange[]) => HostedRegion,
  spans: readonly KeyRange[],
): LocalSpread {
  try {
    regionOfSpans(spans);
    return "one";
  } catch (err) {
    if (err instanceof NoLocalRegionError) return "away";
    const several = err instanceof ServiceError && err.code === ErrorCode.FAILED_PRECONDITION;
    return several ? "several" : "one";
  }
}

/**
 * Whether `spans`, some in regions this node does not hold, lie in more than one region; false
 * when placement knows no region for one of them (the command is sent on, and refused there
 * with the reason).
 */
export async function severalRegions(
  host: RegionHost,
  remote: RemoteRegions,
  spans: readonly KeyRange[],
): Promise<boolean> {
  const ids = new Set<number>();
  for (const s of spans) {
    const d = host.regionFor(s.key)?.kv.descriptor ?? await remote.locate(s.key);
    if (d === undefined) return false;
    if (!isSingleKey(s) && !spanWithin(d, spanOf(s))) return true;
    ids.add(d.id);
  }
  return ids.size > 1;
}
