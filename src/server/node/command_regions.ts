/**
 * Where a command's keys lie, for the region router (region_router.ts): in one region this node
 * holds, in several it holds, or (some) in regions it does not hold — then, asked of the route
 * cache and placement (remote_regions.ts), whether they lie in one region held elsewhere (the
 * command is sent on to it) or in several (a `txn`, `batch` or Redis run is a transaction across
 * regions coordinated here, docs/transactions.md "On a node holding some regions").
 */
import { ErrorCode } from "../../gen/tinykv/v1/tinykv_pb.ts";
import { isOpenEnded, isSingleKey, type KeyRange } from "../../kv/key_state.ts";
import { compareBytes } from "../../util/bytes.ts";
import { spanWithin } from "../../region/region_catalog.ts";
import { ServiceError } from "../kv_service.ts";
import type { HostedRegion, RegionHost } from "./region_host.ts";
import { NoLocalRegionError, spansRegions } from "./region_refusals.ts";
import { type RemoteRegions, spanOf } from "./remote_regions.ts";

export type LocalSpread = "one" | "several" | "away";

/** Where `spans` lie by this node's regions. */
export function localSpread(host: RegionHost, spans: readonly KeyRange[]): LocalSpread {
  try {
    regionOfSpans(host, spans);
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

/** The one region holding every span. */
export function regionOfSpans(host: RegionHost, spans: readonly KeyRange[]): HostedRegion {
  // Single keys of one region, the common case (each SET of a batch), need no set of ids.
  if (spans.length === 1 && isSingleKey(spans[0])) {
    const r = host.regionFor(spans[0].key);
    if (r === undefined) throw new NoLocalRegionError(spans[0].key);
    return r;
  }
  let found: HostedRegion | undefined;
  const ids = new Set<number>();
  for (const s of spans) {
    const r = host.regionFor(s.key);
    if (r === undefined) throw new NoLocalRegionError(s.key);
    ids.add(r.id);
    found ??= r;
    const end = r.kv.descriptor.end;
    const bounded = end.length > 0;
    if (!isSingleKey(s) && bounded && (isOpenEnded(s) || compareBytes(s.rangeEnd, end) > 0)) {
      let next = false;
      for (const other of host.all()) {
        const start = other.kv.descriptor.start;
        const past = !isOpenEnded(s) && compareBytes(start, s.rangeEnd) >= 0;
        if (compareBytes(start, end) >= 0 && !past) ids.add(other.id), next = true;
      }
      // The range goes on past this region into regions held elsewhere only: not this region's
      // alone (asked of placement, like a key held elsewhere).
      if (!next) throw new NoLocalRegionError(end);
    }
  }
  if (found === undefined) throw new Error("a keyed command without keys");
  if (ids.size > 1) throw spansRegions([...ids].sort((a, b) => a - b));
  return found;
}
