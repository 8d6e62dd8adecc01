/**
 * Reads of the two expiry indexes, for the leader's sweeper: the revisioned
 * keyspace's (0x07 expireAtMs:u64be userKey, mvcc_keys.ts) and that of the
 * Redis keys kept outside it (0x0B expireAtMs:u64be db:u8 key, redis/keys.ts).
 */
import { KV_KEY_BYTES_MAX, REDIS_DATABASES } from "../limits.ts";
import type { Db } from "../storage/db.ts";
import { EXPIRY_PREFIX, expiryBound, parseExpiryKey } from "./mvcc_keys.ts";
import {
  EXPIRY_PREFIX as REDIS_EXPIRY_PREFIX,
  parseExpiryKey as parseRedisExpiryKey,
} from "./redis/keys.ts";
import { writeU64BE } from "../util/coding.ts";

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

/** 0x0B followed by the time just after `nowMs`: every entry due by then sorts below it. */
function redisExpiryBound(nowMs: number): Uint8Array {
  const out = new Uint8Array(9);
  out[0] = REDIS_EXPIRY_PREFIX[0];
  writeU64BE(out, 1, nowMs + 1);
  return out;
}

/**
 * Up to `max` keys, of both indexes together, whose expiry is at or before
 * `nowMs`, soonest first: a backlog in one index does not starve the other.
 */
export async function dueKeys(db: Db, nowMs: number, max: number): Promise<DueKeys> {
  const due: { at: number; key?: Uint8Array; ref?: RedisKeyRef }[] = [];
  if (max <= 0) return { keys: [], redisKeys: [] };
  let n = 0;
  for await (const [k] of db.scan({ start: EXPIRY_PREFIX, end: expiryBound(nowMs) })) {
    const e = parseExpiryKey(k);
    due.push({ at: e.expireAtMs, key: e.key.slice() });
    if (++n >= max) break;
  }
  n = 0;
  const end = redisExpiryBound(nowMs);
  for await (const [k] of db.scan({ start: REDIS_EXPIRY_PREFIX, end })) {
    const e = parseRedisExpiryKey(k);
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
