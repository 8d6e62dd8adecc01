/**
 * Key expiry at apply (docs/decisions/0009-key-expiry.md): a put's expiry,
 * the expire command (Redis EXPIRE/PEXPIRE/EXPIREAT/PEXPIREAT/PERSIST with
 * Redis 7's NX/XX/GT/LT) and the leader's expire_keys. Every time here is the
 * command's replicated `now` (RevisionWriter.now), never a local clock, so
 * every replica decides the same.
 */
import {
  type Command,
  ExpireCondition,
  type ExpireKeysCommand,
  type ExpireRequest,
  type PutRequest,
} from "../gen/tinykv/v1/tinykv_pb.ts";
import { u64ToNumber } from "../util/ids.ts";
import { type Outcome, written } from "./apply.ts";
import { isExpired, type KeyState } from "./key_state.ts";
import type { RevisionWriter } from "./revision_writer.ts";
import { expiredEvent, expireRedisKeys } from "./redis/expire_sweep.ts";
import type { RedisStorage } from "./redis/storage.ts";

/** The expiry fields of a put (PutRequest, a transaction's put). */
export type PutExpiry = Pick<PutRequest, "ttlMs" | "expireAtMs" | "keepTtl">;

/**
 * The expiry a put leaves on the key: from its TTL (relative to `now`), its
 * absolute time, the key's own (keep_ttl), or none (Redis SET clears it).
 * Validated before the log: the numbers are below 2^53.
 */
export function putExpiry(p: PutExpiry, prev: KeyState | undefined, now: number): number {
  if (p.keepTtl) return prev?.expireAtMs ?? 0;
  if (p.ttlMs > 0n) return now + u64ToNumber(p.ttlMs, "ttl");
  if (p.expireAtMs > 0n) return u64ToNumber(p.expireAtMs, "expire at");
  return 0;
}

/** Whether Redis 7 would set `next` over the key's current expiry (0: none = infinite). */
export function conditionHolds(c: ExpireCondition, current: number, next: number): boolean {
  const infinite = current === 0;
  switch (c) {
    case ExpireCondition.NX:
      return infinite;
    case ExpireCondition.XX:
      return !infinite;
    case ExpireCondition.GT:
      return !infinite && next > current;
    case ExpireCondition.LT:
      return infinite || next < current;
    case ExpireCondition.XX_LT:
      return !infinite && next < current;
    default:
      return true;
  }
}

/**
 * Sets or removes the key's expiry. `applied` is Redis's 1/0: false when the
 * key is absent, the condition fails, or (persist) it had no expiry. An
 * expiry at or before `now` deletes the key, as Redis does. A change of expiry
 * is a put of the same value (a new revision; watchers see it).
 */
export function applyExpire(e: ExpireRequest, index: number, w: RevisionWriter): Outcome {
  const current = w.current(e.key);
  if (current === undefined) return written(index, { applied: false });
  const existed = true;
  if (e.when.case === "persist") {
    if (current.expireAtMs === 0) return written(index, { existed, applied: false });
    w.put(e.key, current.value, current.lease, current, 0);
    return written(index, { existed });
  }
  const next = e.when.case === "ttlMs"
    ? w.now + u64ToNumber(e.when.value, "ttl")
    : u64ToNumber(e.when.value ?? 0n, "expire at");
  if (!conditionHolds(e.condition, current.expireAtMs, next)) {
    return written(index, { existed, applied: false });
  }
  if (next <= w.now) {
    w.delete(e.key, current);
    return written(index, { existed, deleted: 1 });
  }
  if (next !== current.expireAtMs) w.put(e.key, current.value, current.lease, current, next);
  return written(index, { existed });
}

/**
 * Deletes each listed key that has expired by the command's `now`: database
 * 0's strings (`keys`, the revisioned keyspace) and the Redis keys outside it
 * (`redis_keys`, through `redis`). `deleted` counts both; each deletion is a
 * Redis "expired" keyspace event too.
 */
export function applyExpireKeys(
  c: ExpireKeysCommand,
  index: number,
  w: RevisionWriter,
  redis: RedisStorage,
): Outcome {
  let deleted = 0;
  for (const key of c.keys) {
    const stored = w.stored(key);
    if (stored === undefined || !isExpired(stored, w.now)) continue;
    w.delete(key, stored);
    redis.emit(expiredEvent(0, key));
    deleted++;
  }
  deleted += expireRedisKeys(c.redisKeys, redis);
  return written(index, { deleted });
}

/** The time a command applies at: its proposer's clock, but never before `last`. */
export function commandNow(command: Command, last: number): number {
  const proposed = command.proposedAtMs > BigInt(Number.MAX_SAFE_INTEGER)
    ? 0
    : Number(command.proposedAtMs);
  return Math.max(last, proposed);
}
