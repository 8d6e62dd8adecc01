/**
 * What the revisioned store (docs/coordination.md) says about a key and about a
 * change: the shapes the state machine, the watch hub, the ports and the client
 * share. A revision is the Raft index of the log entry that made a change
 * (docs/decisions/0008-revisions-are-log-indexes.md): it only grows, every
 * change of one command carries the same one, and the store's revision is the
 * revision of its last change.
 */
import { compareBytes } from "../util/bytes.ts";

/** A key as it is (or was) at some revision. */
export interface KeyState {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
  /** The revision that created the key (after its last deletion). */
  readonly createRevision: number;
  /** The revision of the last write to the key. */
  readonly modRevision: number;
  /** Writes since creation: 1 for a new key. */
  readonly version: number;
  /** The lease the key is attached to, 0 for none. */
  readonly lease: number;
  /** When the key expires, Unix ms; 0 for never (docs/coordination.md#key-expiry). */
  readonly expireAtMs: number;
}

/** Whether the key has expired by `nowMs` (a key without an expiry never does). */
export function isExpired(s: KeyState, nowMs: number): boolean {
  return s.expireAtMs !== 0 && s.expireAtMs <= nowMs;
}

/**
 * One change to one key. For a delete, `kv` holds the key and the revision of
 * the delete (`modRevision`); its other fields are zero and its value empty.
 * `prev` is the key's state before the change, when it existed and is known.
 */
export interface KvEvent {
  readonly type: "put" | "delete";
  readonly kv: KeyState;
  readonly prev?: KeyState;
}

/**
 * Keys [key, rangeEnd) as etcd writes ranges: an empty `rangeEnd` means `key`
 * alone, a `rangeEnd` of one zero byte means every key at or after `key`.
 */
export interface KeyRange {
  readonly key: Uint8Array;
  readonly rangeEnd: Uint8Array;
}

export function isSingleKey(r: KeyRange): boolean {
  return r.rangeEnd.length === 0;
}

export function isOpenEnded(r: KeyRange): boolean {
  return r.rangeEnd.length === 1 && r.rangeEnd[0] === 0;
}

export function inRange(r: KeyRange, key: Uint8Array): boolean {
  if (isSingleKey(r)) return compareBytes(key, r.key) === 0;
  if (compareBytes(key, r.key) < 0) return false;
  return isOpenEnded(r) || compareBytes(key, r.rangeEnd) < 0;
}

/** Why a range is malformed (an end at or before its start), or undefined. */
export function rangeProblem(r: KeyRange): string | undefined {
  if (isSingleKey(r) || isOpenEnded(r)) return undefined;
  return compareBytes(r.rangeEnd, r.key) <= 0
    ? "range end is not after the range start"
    : undefined;
}

/** The state of a deleted key at the delete's revision. */
export function deletedState(key: Uint8Array, revision: number): KeyState {
  return {
    key,
    value: new Uint8Array(0),
    createRevision: 0,
    modRevision: revision,
    version: 0,
    lease: 0,
    expireAtMs: 0,
  };
}
