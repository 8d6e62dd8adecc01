/**
 * Reads of the expiry index (0x07 expireAtMs:u64be userKey, mvcc_keys.ts):
 * the keys due by a time, soonest first, for the leader's sweeper.
 */
import type { Db } from "../storage/db.ts";
import { EXPIRY_PREFIX, expiryBound, parseExpiryKey } from "./mvcc_keys.ts";

/** Up to `max` keys whose expiry is at or before `nowMs`, soonest first. */
export async function dueKeys(db: Db, nowMs: number, max: number): Promise<Uint8Array[]> {
  const keys: Uint8Array[] = [];
  if (max <= 0) return keys;
  for await (const [k] of db.scan({ start: EXPIRY_PREFIX, end: expiryBound(nowMs) })) {
    keys.push(parseExpiryKey(k).key.slice());
    if (keys.length >= max) break;
  }
  return keys;
}
