/**
 * The Redis side of the leader's expire_keys command (expire_apply.ts): keys
 * kept outside the revisioned keyspace, listed by the sweeper from the 0x0B
 * index. Each is checked again against the command's replicated time, so a
 * key extended (or replaced) since the sweeper read it survives.
 */
import { RedisDb } from "./database.ts";
import { metaKey } from "./keys.ts";
import { decodeMeta } from "./meta_record.ts";
import type { RedisEvent, RedisStorage } from "./storage.ts";

/** Redis's keyspace event for a key removed because it expired (class 'x'). */
export function expiredEvent(db: number, key: Uint8Array): RedisEvent {
  return { kind: "keyspace", db, event: "expired", key, cls: "x" };
}

/**
 * Removes each listed key whose meta record has expired by `storage.now`
 * (its expiry index entry and key count go with it; a collection's members
 * are queued as garbage) and announces it. Returns how many were removed.
 */
export function expireRedisKeys(
  refs: readonly { readonly db: number; readonly key: Uint8Array }[],
  storage: RedisStorage,
): number {
  let removed = 0;
  for (const { db, key } of refs) {
    const raw = storage.get(metaKey(db, key));
    if (raw === undefined) continue;
    const { expireAtMs } = decodeMeta(raw);
    if (expireAtMs === 0 || expireAtMs > storage.now) continue;
    new RedisDb(storage, db).remove(key);
    storage.emit(expiredEvent(db, key));
    removed++;
  }
  return removed;
}
