/** The `Regions` request from the client: one page, or every region of a range. */
import { CLIENT_ROUTE_CACHE_REGIONS_MAX } from "../limits_ops.ts";
import { compareEnd } from "../region/descriptor.ts";
import type { ClientCore } from "./client.ts";
import { TinyKvError } from "./errors.ts";
import { type RegionEntry, regionFromWire } from "./region_wire.ts";

/** One answer: the regions overlapping `[start, end)` the answering node knows, in key order. */
export async function fetchRegions(
  core: ClientCore,
  start: Uint8Array,
  end: Uint8Array,
): Promise<{ regions: RegionEntry[]; more: boolean }> {
  const r = await core.read({ case: "regions", value: { start, end, limit: 0 } });
  if (r.body.case !== "regions") {
    // A node that does not know the request (or a stand-in): the route cache goes unrouted.
    const got = r.body.case ?? "nothing";
    throw new TinyKvError("INVALID_ARGUMENT", `expected a regions response, got ${got}`, false);
  }
  return { regions: r.body.value.regions.map(regionFromWire), more: r.body.value.more };
}

/** Every region overlapping `[start, end)`, page after page (at most the route cache's bound). */
export async function listRegions(
  core: ClientCore,
  start: Uint8Array,
  end: Uint8Array,
): Promise<RegionEntry[]> {
  const out: RegionEntry[] = [];
  let from = start;
  while (out.length < CLIENT_ROUTE_CACHE_REGIONS_MAX) {
    const { regions, more } = await fetchRegions(core, from, end);
    out.push(...regions);
    const last = regions[regions.length - 1];
    if (!more || last === undefined || last.end.length === 0) break;
    if (compareEnd(end, last.end) <= 0) break;
    from = last.end;
  }
  return out;
}
