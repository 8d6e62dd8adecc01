/**
 * Which region serves a watch on a node holding many regions (node_watches.ts, decision 0014
 * "Where it stands"): the one local region whose range holds every watched key. Revisions are
 * each region's own until the timestamp oracle runs in nodes, so a watch over keys of several
 * regions is refused (FAILED_PRECONDITION) until then; one whose keys no local region holds yet
 * (a split's child not added) is refused as retryable.
 */
import { isOpenEnded, isSingleKey, type KeyRange } from "../../kv/key_state.ts";
import { compareBytes } from "../../util/bytes.ts";
import type { HostedRegion, RegionHost } from "./region_host.ts";

export type WatchRegion =
  | { readonly kind: "one"; readonly region: HostedRegion }
  | { readonly kind: "spans"; readonly reason: string }
  | { readonly kind: "absent"; readonly reason: string };

/** The local region holding every key of `range`, or why there is none. */
export function watchRegion(host: RegionHost, range: KeyRange): WatchRegion {
  const region = host.regionFor(range.key);
  if (region === undefined) {
    return { kind: "absent", reason: "no local region holds the watched keys yet; retry" };
  }
  const end = region.kv.descriptor.end;
  if (end.length === 0 || isSingleKey(range)) return { kind: "one", region };
  if (!isOpenEnded(range) && compareBytes(range.rangeEnd, end) <= 0) {
    return { kind: "one", region };
  }
  return {
    kind: "spans",
    reason: "the watched keys lie in more than one region: a watch over several regions is " +
      "not supported until revisions are timestamps (decision 0014)",
  };
}

/** Why a watch of `range` cannot be served here, if it cannot. */
export function watchRefusal(host: RegionHost, range: KeyRange): string | undefined {
  const r = watchRegion(host, range);
  return r.kind === "one" ? undefined : r.reason;
}
