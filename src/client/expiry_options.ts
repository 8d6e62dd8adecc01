/**
 * Key expiry as the client library takes it (docs/coordination.md#key-expiry):
 * a put's TTL, absolute expiry or kept expiry, and the expire call's options
 * (Redis EXPIRE/PEXPIREAT/PERSIST with NX/XX/GT/LT).
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import { ExpireCondition, type ExpireRequestSchema } from "../gen/tinykv/v1/tinykv_pb.ts";
import { TinyKvError } from "./errors.ts";
import { wireNumber } from "./key_entry.ts";

export interface PutOptions {
  /** Attach the key to this lease; the key is deleted when the lease ends. */
  readonly lease?: number;
  /** The key expires this many ms after the write is applied. */
  readonly ttlMs?: number;
  /** The key expires at this Unix time (ms). */
  readonly expireAtMs?: number;
  /** Keep the key's current expiry (Redis KEEPTTL). Without any of the three, a put clears it. */
  readonly keepTtl?: boolean;
}

/** Redis 7's conditions; "xx-lt" is Redis's `XX LT` (`XX GT` is "gt"). */
export type ExpireConditionName = "nx" | "xx" | "gt" | "lt" | "xx-lt";

export interface ExpireOptions {
  /** Expire this many ms from when the command is applied (0 or less: delete now). */
  readonly ttlMs?: number;
  /** Expire at this Unix time (ms). */
  readonly expireAtMs?: number;
  /** Remove the expiry (Redis PERSIST). */
  readonly persist?: boolean;
  readonly condition?: ExpireConditionName;
}

const CONDITIONS: Record<ExpireConditionName, ExpireCondition> = {
  nx: ExpireCondition.NX,
  xx: ExpireCondition.XX,
  gt: ExpireCondition.GT,
  lt: ExpireCondition.LT,
  "xx-lt": ExpireCondition.XX_LT,
};

function invalid(message: string): TinyKvError {
  return new TinyKvError("INVALID_ARGUMENT", message, false);
}

/** The PutRequest expiry fields of `o`. */
export function putExpiryFields(o: PutOptions) {
  return {
    ttlMs: wireNumber(o.ttlMs, "ttlMs"),
    expireAtMs: wireNumber(o.expireAtMs, "expireAtMs"),
    keepTtl: o.keepTtl ?? false,
  };
}

/** The ExpireRequest for `key` (exactly one of ttlMs, expireAtMs, persist). */
export function expireRequest(
  key: Uint8Array,
  o: ExpireOptions,
): MessageInitShape<typeof ExpireRequestSchema> {
  const given = [o.ttlMs !== undefined, o.expireAtMs !== undefined, o.persist === true];
  if (given.filter(Boolean).length !== 1) {
    throw invalid("expire takes exactly one of ttlMs, expireAtMs and persist");
  }
  const condition = o.condition === undefined
    ? ExpireCondition.UNSPECIFIED
    : CONDITIONS[o.condition];
  if (condition === undefined) throw invalid(`unknown expire condition ${o.condition}`);
  if (o.persist === true) return { key, when: { case: "persist", value: true }, condition };
  if (o.expireAtMs !== undefined) {
    const value = wireNumber(o.expireAtMs, "expireAtMs");
    return { key, when: { case: "expireAtMs", value }, condition };
  }
  // A TTL of 0 or less deletes the key (Redis): the smallest one that is already due.
  const ttl = o.ttlMs ?? 0;
  if (ttl <= 0) return { key, when: { case: "expireAtMs", value: 1n }, condition };
  return { key, when: { case: "ttlMs", value: wireNumber(ttl, "ttlMs") }, condition };
}
