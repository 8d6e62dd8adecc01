/**
 * Reads of a region's two expiry indexes, for the leader's sweeper: the revisioned
 * keyspace's (kind 0x07 expireAtMs:u64be userKey) and that of the Redis keys kept
 * outside it (kind 0x0B expireAtMs:u64be db:u8 key), both region-local (region_keys.ts).
 */
import { KV_KEY_BYTES_MAX, REDIS_DATABASES } from "../limits.ts";
import type { Db } from "../storage/db.ts";
import { type RegionKeys, regionKeys } from "./region_keys.ts";

/** A Redis key kept outside the revisioned keyspace (RedisKeyRef in the proto). */
export interface RedisKeyRef {
  readonly db: number;
  readonly key: Uint8Array;
}

/** What an expire_keys command lists: keys of both indexes. */
export interface DueKeys {
  readonly keys: Uint8Array[];
  readonly redisKeys: RedisKeyRef[];
}

/**
 * Up to `max` keys, of both indexes together, whose expiry is at or before
 * `nowMs`, soonest first: a backlog in one index does not starve the other.
 */
export async function dueKeys(
  db: Db,
  nowMs: number,
  max: number,
  /** The region whose indexes to read (a phase-1 node has only region 1). */
  region: RegionKeys = regionKeys(),
): Promise<DueKeys> {
  const due: { at: number; key?: Uint8Array; ref?: RedisKeyRef }[] = [];
  if (max <= 0) return { keys: [], redisKeys: [] };
  let n = 0;
  for await (const [k] of db.scan({ start: region.expiryPrefix, end: region.expiryBound(nowMs) })) {
    const e = region.parseExpiry(k);
    due.push({ at: e.expireAtMs, key: e.key.slice() });
    if (++n >= max) break;
  }
  n = 0;
  const end = region.redisExpiryBound(nowMs);
  for await (const [k] of db.scan({ start: region.redisExpiryPrefix, end })) {
    const e = region.parseRedisExpiry(k);
    // Only what expire_keys accepts (coordination_checks.ts); a stored key always is.
    if (e.db >= REDIS_DATABASES || e.key.length > KV_KEY_BYTES_MAX) continue;
    due.push({ at: e.expireAtMs, ref: { db: e.db, key: e.key.slice() } });
    if (++n >= max) break;
  }
  const soonest = due.sort((a, b) => a.at - b.at).slice(0, max);
  return {
    keys: soonest.flatMap((d) => (d.key === undefined ? [] : [d.key])),
    redisKeys: soonest.flatMap((d) => (d.ref === undefined ? [] : [d.ref])),
  };
}

/** The last instant a Date can hold (Unix ms): no expiry is later. */
const LAST_MS = 8.64e15;

/** The soonest expiry in either index of the region (Unix ms); Infinity: no key expires. */
export async function soonestExpiryMs(db: Db, region: RegionKeys): Promise<number> {
  let soonest = Infinity;
  const start = region.expiryPrefix, end = region.expiryBound(LAST_MS);
  for await (const [k] of db.scan({ start, end, limit: 1 })) {
    soonest = region.parseExpiry(k).expireAtMs;
  }
  const redisEnd = region.redisExpiryBound(LAST_MS);
  for await (const [k] of db.scan({ start: region.redisExpiryPrefix, end: redisEnd, limit: 1 })) {
    soonest = Math.min(soonest, region.parseRedisExpiry(k).expireAtMs);
  }
  return soonest;
}
