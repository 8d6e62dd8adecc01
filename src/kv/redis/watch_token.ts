/**
 * What WATCH remembers of a key and EXEC compares, inside the replicated
 * step (docs/decisions/0010-redis-on-the-log.md). Redis aborts EXEC when a
 * watched key was touched in between — written, deleted, or expired — so the
 * token changes with each of those:
 *
 *   2·R + 1   the key exists; its last change was at revision R
 *   2·R       the key is absent and database 0's key index says its last
 *             change was at R (a delete, or a put that has since expired)
 *   0         the key is absent with no change on record
 *
 * Databases 1-15 and hashes and sets keep no deletion record: a key that did
 * not exist when watched and was created and deleted again before EXEC goes
 * unnoticed there (docs/resp.md#transactions).
 */
import { KV_KEY_BYTES_MAX } from "../../limits.ts";
import { indexKey, indexKeyEnd, parseIndexKey } from "../mvcc_keys.ts";
import { RedisDb } from "./database.ts";
import type { RedisStorage } from "./storage.ts";

export function watchToken(storage: RedisStorage, db: number, key: Uint8Array): number {
  const live = new RedisDb(storage, db).lookup(key);
  if (live !== undefined) return 2 * live.modRevision + 1;
  if (db !== 0 || key.length > KV_KEY_BYTES_MAX) return 0;
  // The newest index entry comes first (revisions are stored complemented).
  for (const [k] of storage.scan(indexKey(key, Number.MAX_SAFE_INTEGER), indexKeyEnd(key))) {
    return 2 * parseIndexKey(k).revision;
  }
  return 0;
}
