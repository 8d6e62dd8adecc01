/**
 * Which regions serve a watch on a node holding many regions (node_watches.ts,
 * docs/coordination.md "Watch"): the one local region whose range holds every watched key, or the
 * local regions that together hold them, in key order (a watch over several regions,
 * span_watch.ts: revisions are timestamps there, decision 0018, so the regions' feeds merge in
 * revision order). A range some of whose keys no local region holds (a split's child not added
 * yet, or a region this node does not hold) is refused as retryable; one over more than
 * WATCH_SPAN_REGIONS_MAX regions is refused (FAILED_PRECONDITION).
 */
import { isOpenEnded, isSingleKey, type KeyRange } from "../../kv/key_state.ts";
import type { RegionDescriptor } from "../../region/descriptor.ts";
import { compareBytes } from "../../util/bytes.ts";
import type { HostedRegion, RegionHost } from "./region_host.ts";

/**
 * Regions one watch may span on a node holding many regions (one sub-watch each; docs/limits.md).
 * Here rather than in limits.ts, which is at its line cap.
 */
export const WATCH_SPAN_REGIONS_MAX = 64;

export type WatchRegion =
  | { readonly kind: "one"; readonly region: HostedRegion }
  | { readonly kind: "spans"; readonly regions: readonly HostedRegion[] }
  | { readonly kind: "refused"; readonly reason: string }
  | { readonly kind: "absent"; readonly reason: string };

const ABSENT = "no local region holds some of the watched keys (yet); retry";

/** Whether region `r` holds every key of `range` from its start on. */
function holdsRest(r: HostedRegion, range: KeyRange): boolean {
  const end = r.kv.descriptor.end;
  if (end.length === 0 || isSingleKey(range)) return true;
  return !isOpenEnded(range) && compareBytes(range.rangeEnd, end) <= 0;
}

/** The local regions holding the keys of `range`, in key order, or why there are none. */
export function watchRegion(
  host: RegionHost,
  range: KeyRange,
  spanMax = WATCH_SPAN_REGIONS_MAX,
): WatchRegion {
  const first = host.regionFor(range.key);
  if (first === undefined) return { kind: "absent", reason: ABSENT };
  if (holdsRest(first, range)) return { kind: "one", region: first };
  const regions = [first];
  // Bounded: each step moves to a region further right, and there are `count` of them.
  for (let i = 0; i <= host.count; i++) {
    const at = regions[regions.length - 1];
    if (holdsRest(at, range)) return { kind: "spans", regions };
    if (regions.length >= spanMax) {
      return {
        kind: "refused",
        reason: `the watched keys lie in more than ${spanMax} regions ` +
          `(WATCH_SPAN_REGIONS_MAX, docs/limits.md); watch a narrower range`,
      };
    }
    const next = host.regionFor(at.kv.descriptor.end);
    if (next === undefined || next === at) return { kind: "absent", reason: ABSENT };
    regions.push(next);
  }
  return { kind: "absent", reason: ABSENT };
}

/** Why a watch of `range` cannot be served here, if it cannot. */
export function watchRefusal(host: RegionHost, range: KeyRange): string | undefined {
  const r = watchRegion(host, range);
  return r.kind === "one" || r.kind === "spans" ? undefined : r.reason;
}

/** Whether every key of `range` lies in `d`'s range. */
export function rangeWithin(range: KeyRange, d: RegionDescriptor): boolean {
  if (compareBytes(range.key, d.start) < 0) return false;
  if (d.end.length === 0) return true;
  if (isSingleKey(range)) return compareBytes(range.key, d.end) < 0;
  return !isOpenEnded(range) && compareBytes(range.rangeEnd, d.end) <= 0;
}

/** The part of `range` inside region `r` (a watch over several regions watches each part). */
export function clipToRegion(range: KeyRange, r: HostedRegion): KeyRange {
  const d = r.kv.descriptor;
  const key = compareBytes(range.key, d.start) >= 0 ? range.key : d.start;
  if (d.end.length === 0) return { key, rangeEnd: range.rangeEnd };
  if (isOpenEnded(range) || compareBytes(range.rangeEnd, d.end) > 0) {
    return { key, rangeEnd: d.end };
  }
  return { key, rangeEnd: range.rangeEnd };
}
