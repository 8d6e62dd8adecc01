/**
 * Which engine entries make a region's snapshot (docs/formats.md#kv-snapshot-stream,
 * docs/regions.md): the region's local records (`0x10 regionId`), the entries of the
 * user-keyed namespaces whose user key falls in the region's range `[start, end)` (an empty
 * `end` is unbounded), and the node-global records of the meta namespace (data format, member
 * addresses). Leases are cluster-wide objects not yet owned by any group (they move to the
 * placement group later): every lease record goes into every snapshot, and a lease attachment
 * when its key is in the range. Ranges come in key order, so the stream stays in key order.
 */
import { REDIS_DATABASES } from "../limits.ts";
import { compareBytes } from "../util/bytes.ts";
import { escapedLength, writeEscaped } from "../util/ordered_key.ts";
import { Namespace } from "./keyspace.ts";
import { MvccNamespace, parseLeaseAttachment } from "./mvcc_keys.ts";
import type { RegionKeys } from "./region_keys.ts";
import { RedisNamespace } from "./redis/keys.ts";
import { TxnNamespace } from "../txn/txn_keys.ts";

/** The user keys a snapshot covers: [start, end), an empty end unbounded. */
export interface KeySpan {
  readonly start: Uint8Array;
  readonly end: Uint8Array;
}

export const WHOLE_KEYSPACE: KeySpan = { start: new Uint8Array(0), end: new Uint8Array(0) };

/** An engine key range to copy; `keep` filters entries inside it. */
export interface EngineRange {
  readonly start: Uint8Array;
  readonly end: Uint8Array;
  readonly keep?: (key: Uint8Array) => boolean;
}

/** Whether user key `key` is in `span`. */
export function inSpan(span: KeySpan, key: Uint8Array): boolean {
  if (compareBytes(key, span.start) < 0) return false;
  return span.end.length === 0 || compareBytes(key, span.end) < 0;
}

/**
 * `inSpan(span, key.subarray(from))` without the view (a view of a fresh small array costs
 * the array a buffer of its own: more than the comparison, on every write of a data key).
 */
export function inSpanFrom(span: KeySpan, key: Uint8Array, from: number): boolean {
  if (compareFrom(key, from, span.start) < 0) return false;
  return span.end.length === 0 || compareFrom(key, from, span.end) < 0;
}

/** compareBytes(a.subarray(from), b). */
function compareFrom(a: Uint8Array, from: number, b: Uint8Array): number {
  const len = a.length - from, n = len < b.length ? len : b.length;
  for (let i = 0; i < n; i++) {
    const d = a[from + i] - b[i];
    if (d !== 0) return d;
  }
  return len - b.length;
}

/** `head` then `key` (escaped when `escape`). */
function bound(head: readonly number[], key: Uint8Array, escape: boolean): Uint8Array {
  const out = new Uint8Array(head.length + (escape ? escapedLength(key) : key.length));
  out.set(head);
  if (escape) writeEscaped(out, head.length, key);
  else out.set(key, head.length);
  return out;
}

/**
 * The engine range of a user-keyed namespace whose keys are `head` then the user key (escaped
 * when `escape`): bytes of keys in the span sort inside it, every other key's outside it
 * (escaping keeps user-key order, util/ordered_key.ts).
 */
function userKeyed(head: number[], span: KeySpan, escape: boolean): EngineRange {
  const start = bound(head, span.start, escape);
  if (span.end.length > 0) return { start, end: bound(head, span.end, escape) };
  const next = [...head];
  next[next.length - 1]++;
  return { start, end: new Uint8Array(next) };
}

/** The engine ranges of `region`'s snapshot over `span`, in key order. */
export function snapshotRanges(region: RegionKeys, span: KeySpan): EngineRange[] {
  const ranges: EngineRange[] = [
    { start: new Uint8Array([Namespace.Meta]), end: new Uint8Array([Namespace.Meta + 1]) },
    userKeyed([Namespace.Data], span, false),
    userKeyed([MvccNamespace.KeyIndex], span, true),
    {
      start: new Uint8Array([MvccNamespace.Lease]),
      end: new Uint8Array([MvccNamespace.Lease + 1]),
    },
    {
      start: new Uint8Array([MvccNamespace.LeaseKey]),
      end: new Uint8Array([MvccNamespace.LeaseKey + 1]),
      // A malformed attachment (none is ever written) is copied rather than judged.
      keep: (k) => k.length < 9 || inSpan(span, parseLeaseAttachment(k).key),
    },
  ];
  for (const ns of [RedisNamespace.Meta, RedisNamespace.Member]) {
    for (let db = 0; db < REDIS_DATABASES; db++) {
      ranges.push(userKeyed([ns, db], span, ns === RedisNamespace.Member));
    }
  }
  ranges.push(userKeyed([TxnNamespace.Lock], span, false));
  ranges.push(userKeyed([TxnNamespace.Write], span, true));
  ranges.push({ start: region.start, end: region.end });
  return ranges;
}
