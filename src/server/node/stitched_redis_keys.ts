/**
 * Redis keys over a span on a node whose regions leave part of it to others (redis_key_reads.ts,
 * docs/resp.md "On a node holding some regions"): the span is cut into parts as a stitched
 * protobuf scan cuts its range (scan_parts.ts: a run of local regions, or one region held
 * elsewhere) and read in key order — a local part by this node, a remote part sent, routed with
 * its region's id and epoch, to that region's leader (or a voter) as a `RedisKeysRequest`, read
 * there with the asking read's consistency. So each region's part is read linearizably (by
 * default), and the parts are stitched: not one snapshot of the keyspace. A count (DBSIZE, INFO
 * keyspace) adds each part's regions' own counts, database by database.
 *
 * A part refused because its route changed (its region split, merged or moved since the plan) is
 * planned again, at most NODE_ROUTE_ATTEMPTS_MAX times a read; then, or when the read cannot
 * finish within its bound of steps (`limit` + NODE_ROUTES_CACHED_MAX + NODE_ROUTE_ATTEMPTS_MAX:
 * each reads a key, finishes a part or follows a changed route; a count: NODE_ROUTES_CACHED_MAX
 * parts, read at once), it fails with UNAVAILABLE (retryable), never with a gap.
 */
import { ErrorCode } from "../../gen/tinykv/v1/tinykv_pb.ts";
import type { RedisType } from "../../kv/redis/meta_record.ts";
import { REDIS_DATABASES } from "../../limits.ts";
import {
  NODE_ROUTE_ATTEMPTS_MAX,
  NODE_ROUTES_CACHED_MAX,
  REDIS_KEYS_PART_MAX,
} from "../../limits_ops.ts";
import { compareEnd } from "../../region/descriptor.ts";
import { type KeySpan, keySpan } from "../../region/region_catalog.ts";
import { type Consistency, ServiceError } from "../kv_service.ts";
import type { RedisKeyEntry, RedisKeysPage, RedisKeysQuery } from "../redis_keys.ts";
import type { RegionHost } from "./region_host.ts";
import type { RemoteRegions } from "./remote_regions.ts";
import { NodeScanParts, wireConsistency } from "./scan_parts.ts";
import type { ScanPart } from "./stitched_scan.ts";

export interface StitchedRedisKeysDeps {
  readonly host: RegionHost;
  readonly remote: RemoteRegions;
  /** This node's read of a part its regions hold. */
  readonly here: (q: Omit<RedisKeysQuery, "hereOnly">) => Promise<RedisKeysPage>;
  readonly consistency: Consistency;
}

/** Refusals that mean the plan is out of date: the part is planned again. */
const CHANGED = new Set([
  ErrorCode.EPOCH_NOT_MATCH,
  ErrorCode.KEY_NOT_IN_REGION,
  ErrorCode.REGION_NOT_FOUND,
]);

function unavailable(why: string): ServiceError {
  return new ServiceError(ErrorCode.UNAVAILABLE, `a Redis key read across regions ${why}; retry`);
}

function isEmpty(span: KeySpan): boolean {
  return compareEnd(span.end, span.start) <= 0;
}

/** True when the part reaches the end of the span. */
function endsSpan(part: KeySpan, span: KeySpan): boolean {
  return part.end.length === 0 || compareEnd(span.end, part.end) <= 0;
}

/** One part's keys or count, from this node or from the part's region elsewhere. */
async function readPart(
  d: StitchedRedisKeysDeps,
  part: ScanPart,
  q: Omit<RedisKeysQuery, "hereOnly">,
): Promise<RedisKeysPage> {
  if (part.local) return await d.here(q);
  const value = {
    db: q.db,
    start: q.span.start,
    end: q.span.end,
    limit: q.limit,
    count: q.count,
    consistency: wireConsistency(d.consistency),
  };
  const answer = await d.remote.send({ case: "redisKeys", value }, [part.span], {
    timeoutMs: d.remote.d.requestTimeoutMs,
    part: true,
  });
  if (answer.body.case !== "redisKeys") {
    throw unavailable(`had a part answered ${answer.body.case}`);
  }
  const r = answer.body.value;
  const keys = r.keys.map((k) => ({ key: k.key, type: k.type as RedisType }));
  return { keys, more: r.more, counts: r.counts.map(Number) };
}

/**
 * `q` over the node's regions and the others': up to `q.limit` keys in key order (`more`: keys
 * may follow), or with `q.count` the keys of each database the span's regions hold.
 */
export async function stitchedRedisKeys(
  d: StitchedRedisKeysDeps,
  q: RedisKeysQuery,
): Promise<RedisKeysPage> {
  const parts = new NodeScanParts({
    regions: () => d.host.all(),
    remote: d.remote,
    local: () => Promise.reject(new Error("a Redis key read plans parts only")),
    consistency: d.consistency,
    timeoutMs: d.remote.d.requestTimeoutMs,
  });
  if (q.count) return await stitchedCounts(d, parts, q);
  let span = q.span;
  const keys: RedisKeyEntry[] = [];
  let changed = 0;
  const steps = q.limit + NODE_ROUTES_CACHED_MAX + NODE_ROUTE_ATTEMPTS_MAX;
  for (let step = 0; !isEmpty(span); step++) {
    if (step >= steps) throw unavailable(`did not finish in ${steps} steps`);
    const part = (await parts.plan(span, false))[0];
    if (part === undefined) throw unavailable("found no region for part of its span");
    const limit = Math.min(REDIS_KEYS_PART_MAX, q.limit - keys.length);
    let page: RedisKeysPage;
    try {
      page = await readPart(d, part, { db: q.db, span: part.span, limit, count: false });
    } catch (err) {
      if (!(err instanceof ServiceError) || !CHANGED.has(err.code)) throw err;
      if (++changed >= NODE_ROUTE_ATTEMPTS_MAX) {
        throw unavailable(`met a route that kept changing (${err.message})`);
      }
      continue;
    }
    keys.push(...page.keys);
    if (keys.length >= q.limit) {
      return { keys, more: page.more || !endsSpan(part.span, span), counts: [] };
    }
    if (page.more) {
      const last = page.keys[page.keys.length - 1];
      if (last === undefined) throw unavailable("read a part with more keys and none returned");
      span = { start: keySpan(last.key).end, end: span.end };
      continue;
    }
    if (endsSpan(part.span, span)) break;
    span = { start: part.span.end, end: span.end };
  }
  return { keys, more: false, counts: [] };
}

/** Every part of `span`, in key order (at most NODE_ROUTES_CACHED_MAX). */
async function planAll(parts: NodeScanParts, span: KeySpan): Promise<ScanPart[]> {
  const out: ScanPart[] = [];
  while (!isEmpty(span)) {
    if (out.length >= NODE_ROUTES_CACHED_MAX) {
      throw unavailable(`has more than ${NODE_ROUTES_CACHED_MAX} parts`);
    }
    const part = (await parts.plan(span, false))[0];
    if (part === undefined) throw unavailable("found no region for part of its span");
    out.push(part);
    if (endsSpan(part.span, span)) break;
    span = { start: part.span.end, end: span.end };
  }
  return out;
}

/**
 * The counts of the span's regions, database by database: every part planned first, then all read
 * at once (a count's parts do not depend on each other), the whole planned again when one's route
 * changed (at most NODE_ROUTE_ATTEMPTS_MAX times).
 */
async function stitchedCounts(
  d: StitchedRedisKeysDeps,
  parts: NodeScanParts,
  q: RedisKeysQuery,
): Promise<RedisKeysPage> {
  for (let attempt = 1;; attempt++) {
    const plan = await planAll(parts, q.span);
    let pages: RedisKeysPage[];
    try {
      pages = await Promise.all(
        plan.map((p) => readPart(d, p, { db: q.db, span: p.span, limit: 0, count: true })),
      );
    } catch (err) {
      if (!(err instanceof ServiceError) || !CHANGED.has(err.code)) throw err;
      if (attempt >= NODE_ROUTE_ATTEMPTS_MAX) {
        throw unavailable(`met a route that kept changing (${err.message})`);
      }
      continue;
    }
    const counts = new Array<number>(REDIS_DATABASES).fill(0);
    for (const page of pages) {
      if (page.counts.length !== REDIS_DATABASES) {
        throw unavailable(`had a part counted in ${page.counts.length} databases`);
      }
      page.counts.forEach((n, db) => counts[db] += n);
    }
    return { keys: [], more: false, counts };
  }
}
