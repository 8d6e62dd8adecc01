/** What a watch delivers to its caller, from the protobuf WatchResponse. */
import { EventType, type KeyValue, type WatchEvent } from "../gen/tinykv/v1/tinykv_pb.ts";
import { toBytes } from "../util/bytes.ts";
import { prefixEnd } from "../util/bytes.ts";
import { u64ToNumber } from "../util/ids.ts";

export type Bytes = string | Uint8Array;

/**
 * What to watch: one key, every key with a prefix, or the keys [key, rangeEnd)
 * (a rangeEnd of one zero byte: every key at or after `key`).
 */
export type WatchTarget = Bytes | { readonly prefix: Bytes } | {
  readonly key: Bytes;
  readonly rangeEnd: Bytes;
};

/** A key's state as a watch reports it. */
export interface WatchedState {
  readonly value: Uint8Array;
  readonly modRevision: number;
  readonly createRevision: number;
  readonly version: number;
  readonly lease: number;
  /** When the key expires (Unix ms), 0 for never. */
  readonly expireAtMs: number;
}

/** One change. For a delete, `value` is empty and `modRevision` is the delete's revision. */
export interface WatchChange extends WatchedState {
  readonly type: "put" | "delete";
  readonly key: Uint8Array;
  /** The key's state before the change (with `prevKv`, when it existed). */
  readonly prev?: WatchedState;
}

/**
 * One update of a watch: the changes of whole revisions, in order, and the revision
 * up to which everything has been delivered. A progress update has no changes.
 */
export interface WatchUpdate {
  readonly events: readonly WatchChange[];
  readonly revision: number;
  readonly progress: boolean;
}

const ALL = new Uint8Array([0]);

export function rangeOf(target: WatchTarget): { key: Uint8Array; rangeEnd: Uint8Array } {
  if (typeof target === "string" || target instanceof Uint8Array) {
    return { key: toBytes(target), rangeEnd: new Uint8Array(0) };
  }
  if ("prefix" in target) {
    const key = toBytes(target.prefix);
    return { key, rangeEnd: key.length === 0 ? ALL : prefixEnd(key) ?? ALL };
  }
  return { key: toBytes(target.key), rangeEnd: toBytes(target.rangeEnd) };
}

function stateOf(kv: KeyValue): WatchedState {
  return {
    value: kv.value,
    modRevision: u64ToNumber(kv.modRevision, "mod revision"),
    createRevision: u64ToNumber(kv.createRevision, "create revision"),
    version: u64ToNumber(kv.version, "version"),
    lease: u64ToNumber(kv.lease, "lease"),
    expireAtMs: u64ToNumber(kv.expireAtMs, "expire at"),
  };
}

export function changeOf(e: WatchEvent): WatchChange {
  const kv = e.kv;
  if (kv === undefined) throw new Error("a watch event without its key");
  const change = {
    type: e.type === EventType.DELETE ? "delete" as const : "put" as const,
    key: kv.key,
    ...stateOf(kv),
  };
  return e.prevKv === undefined ? change : { ...change, prev: stateOf(e.prevKv) };
}
