/**
 * A scan over regions (docs/regions.md#routing): the range is cut at region boundaries, each
 * part is read from its region's leader with its route, and the parts are stitched in key order
 * (reverse order for a reverse scan). Each part reads its region's current state, unless the
 * caller named a revision: revisions are each region's own Raft indexes until the timestamp
 * oracle runs in nodes (decision 0014 §5), so one region's revision means nothing in another's
 * history — reading a later part "at the first part's revision" would read that region's state
 * at an unrelated point of its own history. The answer's revision is the first part's. `offset`
 * is applied here, over the stitched keys; `limit` bounds the answer, whose `nextCursor` (the
 * last key) resumes after it. A stale route for a part
 * makes the scan plan that part again from the updated route cache.
 */
import type { KeyValue, ScanRequest } from "../gen/tinykv/v1/tinykv_pb.ts";
import { SCAN_LIMIT_DEFAULT, SCAN_LIMIT_MAX } from "../limits.ts";
import { CLIENT_ROUTE_ATTEMPTS_MAX, CLIENT_ROUTE_CACHE_REGIONS_MAX } from "../limits_ops.ts";
import { compareEnd } from "../region/descriptor.ts";
import { clipSpan, type KeySpan, keySpan, scanSpanOf } from "../region/region_catalog.ts";
import { compareBytes } from "../util/bytes.ts";
import type { ClientCore } from "./client.ts";
import { isStaleRoute, TinyKvError } from "./errors.ts";
import { RegionRouter } from "./region_router.ts";
import type { RegionEntry } from "./region_wire.ts";
import type { RouteCache } from "./route_cache.ts";
import { scanOf } from "./response_bodies.ts";

export type ScanFields = Omit<ScanRequest, "$typeName" | "$unknown">;

export interface StitchedScan {
  readonly items: KeyValue[];
  readonly nextCursor: Uint8Array;
  readonly revision: bigint;
}

/** The keys left to read, after a cursor (the last key of a previous page). */
function spanOf(s: ScanFields): KeySpan {
  const span = scanSpanOf(s.prefix, s.start, s.end);
  if (s.cursor.length === 0) return span;
  if (s.reverse) {
    const end = compareEnd(span.end, s.cursor) > 0 ? s.cursor : span.end;
    return { start: span.start, end };
  }
  const after = keySpan(s.cursor).end;
  return { start: compareBytes(after, span.start) > 0 ? after : span.start, end: span.end };
}

function isEmpty(span: KeySpan): boolean {
  return compareEnd(span.end, span.start) <= 0;
}

export async function routedScan(
  core: ClientCore,
  cache: RouteCache,
  s: ScanFields,
): Promise<StitchedScan> {
  const limit = Math.min(s.limit || SCAN_LIMIT_DEFAULT, SCAN_LIMIT_MAX);
  const want = s.offset + limit;
  let span = spanOf(s);
  const revision = s.revision;
  /** The revision of the first part read (the answer's). */
  let seen = s.revision;
  const items: KeyValue[] = [];
  let stale = 0;
  let more = false;
  // Each step reads at least one key, finishes a region, or follows a stale route.
  const steps = want + CLIENT_ROUTE_CACHE_REGIONS_MAX + CLIENT_ROUTE_ATTEMPTS_MAX;
  for (let step = 0; step < steps && !isEmpty(span); step++) {
    const regions = await cache.cover(span);
    const region = s.reverse ? regions[regions.length - 1] : regions[0];
    const part = clipSpan(region, span) ?? span;
    let page;
    try {
      const partLimit = Math.min(SCAN_LIMIT_MAX, want - items.length);
      page = await readPart(core, cache, s, part, partLimit, revision);
    } catch (err) {
      if (!(err instanceof TinyKvError) || !isStaleRoute(err)) throw err;
      if (++stale >= CLIENT_ROUTE_ATTEMPTS_MAX) {
        throw new TinyKvError(
          err.code,
          `the route kept changing during a scan: ${err.message}`,
          false,
        );
      }
      continue;
    }
    if (seen === 0n) seen = page.revision;
    items.push(...page.items);
    const last = page.items[page.items.length - 1];
    if (items.length >= want) {
      more = page.nextCursor.length > 0 || !regionEndsSpan(region, span, s.reverse);
      break;
    }
    if (page.nextCursor.length > 0 && last !== undefined) {
      span = s.reverse
        ? { start: span.start, end: last.key }
        : { start: keySpan(last.key).end, end: span.end };
      continue;
    }
    if (regionEndsSpan(region, span, s.reverse)) break;
    span = s.reverse
      ? { start: span.start, end: region.start }
      : { start: region.end, end: span.end };
  }
  const answer = items.slice(s.offset, want);
  const lastKey = answer[answer.length - 1]?.key;
  const nextCursor = more && lastKey !== undefined ? lastKey : new Uint8Array(0);
  return { items: answer, nextCursor, revision: seen };
}

/** True when the region reaches the end of the span in the scan's direction. */
function regionEndsSpan(r: RegionEntry, span: KeySpan, reverse: boolean): boolean {
  if (reverse) return compareBytes(r.start, span.start) <= 0;
  return r.end.length === 0 || compareEnd(span.end, r.end) <= 0;
}

async function readPart(
  core: ClientCore,
  cache: RouteCache,
  s: ScanFields,
  part: KeySpan,
  limit: number,
  revision: bigint,
) {
  // The part's region as the cache has it at each attempt: after a split or a lost leader the
  // node refuses the route and the scan plans the part again.
  const router = new RegionRouter(cache, () => cache.locate(part.start), true);
  const value = {
    start: part.start,
    end: part.end,
    limit,
    reverse: s.reverse,
    consistency: s.consistency,
    revision,
  };
  return scanOf(await core.read({ case: "scan", value }, undefined, router));
}

/**
 * A scan as the client sends it: with routing (`cache`), stitched over regions, or unrouted while
 * the nodes do not answer `Regions` (route_cache.ts); without routing, one request.
 */
export async function scanAnyhow(
  core: ClientCore,
  cache: RouteCache | undefined,
  s: ScanFields,
): Promise<StitchedScan> {
  if (cache !== undefined && !cache.unrouted) {
    try {
      return await routedScan(core, cache, s);
    } catch (err) {
      if (!cache.unrouted) throw err;
    }
  }
  return scanOf(await core.read({ case: "scan", value: s }));
}
