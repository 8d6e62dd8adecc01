/** A key's state as the client library returns it (docs/coordination.md#revisions). */
import type { KeyValue } from "../gen/tinykv/v1/tinykv_pb.ts";
import { u64ToNumber } from "../util/ids.ts";
import { TinyKvError } from "./errors.ts";

export interface KeyEntry {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
  /** The revision that created the key (after its last deletion). */
  readonly createRevision: number;
  /** The revision of the last write to the key. */
  readonly modRevision: number;
  /** Writes since the key was created: 1 for a new key. */
  readonly version: number;
  /** The lease the key is attached to, 0 for none. */
  readonly lease: number;
  /** When the key expires (Unix ms), 0 for never. */
  readonly expireAtMs: number;
}

type KeyValueFields = Pick<
  KeyValue,
  "value" | "modRevision" | "createRevision" | "version" | "lease" | "expireAtMs"
>;

export function entryFromWire(key: Uint8Array, kv: KeyValueFields): KeyEntry {
  return {
    key,
    value: kv.value,
    createRevision: u64ToNumber(kv.createRevision, "create revision"),
    modRevision: u64ToNumber(kv.modRevision, "mod revision"),
    version: u64ToNumber(kv.version, "version"),
    lease: u64ToNumber(kv.lease, "lease"),
    expireAtMs: u64ToNumber(kv.expireAtMs, "expire at"),
  };
}

/** A revision, lease or count a caller passes: a whole number in 0..2^53. */
export function wireNumber(n: number | undefined, what: string): bigint {
  if (n === undefined) return 0n;
  if (!Number.isSafeInteger(n) || n < 0) {
    const message = `${what} must be a whole number from 0 to 2^53, got ${n}`;
    throw new TinyKvError("INVALID_ARGUMENT", message, false);
  }
  return BigInt(n);
}
