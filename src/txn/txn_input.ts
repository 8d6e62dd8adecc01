/**
 * Checks of a transactional request before the state machine runs it: a request no correct
 * coordinator sends is refused with `TxnInputError`, and nothing is written.
 */
import { KV_KEY_BYTES_MAX, KV_VALUE_BYTES_MAX } from "../limits.ts";
import { TXN_LOCK_TTL_MS_MAX, TXN_REGION_KEYS_MAX } from "../limits_ops.ts";
import { toHex } from "../util/bytes.ts";
import { isTimestamp } from "./timestamp.ts";
import { escapedLength } from "./txn_keys.ts";
import { type Mutation, TxnInputError } from "./txn_types.ts";

export function checkTs(what: string, ts: number): void {
  if (!isTimestamp(ts)) throw new TxnInputError(`${what} ${ts} is not a timestamp`);
}

/** A user key: not empty (an empty key bounds ranges), escaped at most KV_KEY_BYTES_MAX. */
export function checkKey(key: Uint8Array): void {
  if (key.length === 0) throw new TxnInputError("empty key");
  if (escapedLength(key) > KV_KEY_BYTES_MAX) {
    throw new TxnInputError(`key of ${key.length} bytes is over the limit`);
  }
}

/** Between 1 and TXN_REGION_KEYS_MAX keys, each valid and named once. */
export function checkKeys(keys: readonly Uint8Array[]): void {
  if (keys.length === 0 || keys.length > TXN_REGION_KEYS_MAX) {
    throw new TxnInputError(`${keys.length} keys: must be 1..${TXN_REGION_KEYS_MAX}`);
  }
  const seen = new Set<string>();
  for (const key of keys) {
    checkKey(key);
    const hex = toHex(key);
    if (seen.has(hex)) throw new TxnInputError(`key ${hex} is named twice`);
    seen.add(hex);
  }
}

export function checkMutations(mutations: readonly Mutation[]): void {
  checkKeys(mutations.map((m) => m.key));
  for (const m of mutations) {
    if ((m.kind === "put") !== (m.value !== undefined)) {
      throw new TxnInputError(`a ${m.kind} mutation ${m.kind === "put" ? "needs" : "has"} a value`);
    }
    if (m.value !== undefined && m.value.length > KV_VALUE_BYTES_MAX) {
      throw new TxnInputError(`value of ${m.value.length} bytes is over the limit`);
    }
  }
}

export function checkTtl(ttlMs: number): void {
  if (!Number.isSafeInteger(ttlMs) || ttlMs < 1 || ttlMs > TXN_LOCK_TTL_MS_MAX) {
    throw new TxnInputError(`lock TTL ${ttlMs} ms is outside 1..${TXN_LOCK_TTL_MS_MAX}`);
  }
}

/** A clock reading: Unix ms, a safe integer ≥ 0. */
export function checkNow(nowMs: number): void {
  if (!Number.isSafeInteger(nowMs) || nowMs < 0) throw new TxnInputError(`time ${nowMs} ms`);
}
