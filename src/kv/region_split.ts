/**
 * A split at the storage level (docs/regions.md, the "at a split" column): what one batch must
 * write when region `parent` over `[start, end)` splits at `splitKey` into itself over
 * `[start, splitKey)` and a new region `child` over `[splitKey, end)`. User-keyed data moves
 * nowhere; only region-local records are written:
 *
 * - the child's applied index is the split's index;
 * - revision, now, compacted and compacted-done are copied (the child's reads and watches
 *   start where the parent's stood; the parent's compactor has done the child's keys up to
 *   compacted-done);
 * - key counts (keys, redis-keys) are recounted for both halves by a range scan (bounded by
 *   the parent's size);
 * - client sessions are copied: a retried write may now land in either half;
 * - expiry index entries of right-half keys move to the child (proportional to the parent's
 *   expiring keys, not to its data);
 * - a merge's absorbed history records of right-half keys move to the child, and the child
 *   copies the merge floor (region_merge_state.ts);
 * - the child's change feed starts empty (its keys' older versions stay in the parent's feed,
 *   which the child reads through its lineage record, written by the caller: region_lineage.ts),
 *   and the Redis garbage queue stays with the parent.
 *
 * Synchronous over an engine view, so it can run inside the apply of a split command (after
 * the pass's earlier entries are written, as commands that read the engine first do). Not
 * wired to Raft yet (phase 2).
 */
import type { WriteOp } from "../storage/db.ts";
import { REDIS_DATABASES } from "../limits.ts";
import { encodeApplied, Namespace } from "./keyspace.ts";
import { RedisNamespace } from "./redis/keys.ts";
import { type RegionKeys, regionKeys, RegionKind } from "./region_keys.ts";
import { mergeFloorKey } from "./region_merge_state.ts";
import { inSpan, type KeySpan } from "./snapshot_ranges.ts";
import { encodeRedisKeys } from "./store_meta.ts";
import type { EngineReader } from "./write_set.ts";

export interface SplitPlan {
  readonly parent: number;
  readonly child: number;
  /** The parent's range before the split; `splitKey` lies strictly inside it. */
  readonly span: KeySpan;
  readonly splitKey: Uint8Array;
  /** The Raft index of the split command: the child's applied index. */
  readonly index: number;
}

/** Key counts of one half: user keys (0x02) and Redis meta records per database. */
export interface HalfCounts {
  readonly keys: number;
  readonly redisKeys: readonly number[];
}

export interface SplitResult {
  readonly left: HalfCounts;
  readonly right: HalfCounts;
}

/** Adds the split's writes to `batch`; returns the recounted halves. */
export function splitRegion(db: EngineReader, plan: SplitPlan, batch: WriteOp[]): SplitResult {
  const from = regionKeys(plan.parent), to = regionKeys(plan.child);
  const left: KeySpan = { start: plan.span.start, end: plan.splitKey };
  const right: KeySpan = { start: plan.splitKey, end: plan.span.end };
  const counts = { left: countHalf(db, left), right: countHalf(db, right) };
  const put = (key: Uint8Array, value: Uint8Array) => batch.push({ type: "put", key, value });
  put(to.applied, encodeApplied(plan.index));
  for (const [half, keys] of [[counts.left, from], [counts.right, to]] as const) {
    put(keys.keyCount, encodeApplied(half.keys));
    put(keys.redisKeys, encodeRedisKeys(half.redisKeys));
  }
  const floor = mergeFloorKey(from.id);
  for (const record of [from.revision, from.now, from.compacted, from.compactedDone, floor]) {
    const value = db.get(record);
    if (value !== undefined) put(to.local(record.subarray(from.prefix.length)), value.slice());
  }
  copyKind(db, from, to, from.sessionPrefix, batch);
  moveExpiry(db, from, to, right, batch);
  moveAbsorbed(db, from, to, right, batch);
  return counts;
}

function countHalf(db: EngineReader, span: KeySpan): HalfCounts {
  const bound = (head: number[], key: Uint8Array) => new Uint8Array([...head, ...key]);
  const end = (head: number[]) =>
    span.end.length > 0 ? bound(head, span.end) : prefixAfter(new Uint8Array(head));
  let keys = 0;
  const data = [Namespace.Data];
  for (const _ of db.scanSync({ start: bound(data, span.start), end: end(data) })) {
    keys++;
  }
  const redisKeys = new Array<number>(REDIS_DATABASES).fill(0);
  for (let d = 0; d < REDIS_DATABASES; d++) {
    const head = [RedisNamespace.Meta, d];
    for (const _ of db.scanSync({ start: bound(head, span.start), end: end(head) })) {
      redisKeys[d]++;
    }
  }
  return { keys, redisKeys };
}

/** Copies every record of the parent under `prefix` to the child. */
function copyKind(
  db: EngineReader,
  from: RegionKeys,
  to: RegionKeys,
  prefix: Uint8Array,
  batch: WriteOp[],
): void {
  for (const [k, v] of db.scanSync({ start: prefix, end: prefixAfter(prefix) })) {
    batch.push({ type: "put", key: to.local(k.subarray(from.prefix.length)), value: v.slice() });
  }
}

/** Moves the expiry entries (both indexes) of keys in `right` from the parent to the child. */
function moveExpiry(
  db: EngineReader,
  from: RegionKeys,
  to: RegionKeys,
  right: KeySpan,
  batch: WriteOp[],
): void {
  const move = (k: Uint8Array) => {
    batch.push({ type: "del", key: k.slice() });
    batch.push({ type: "put", key: to.local(k.subarray(from.prefix.length)), value: EMPTY });
  };
  for (
    const [k] of db.scanSync({ start: from.expiryPrefix, end: prefixAfter(from.expiryPrefix) })
  ) {
    if (inSpan(right, from.parseExpiry(k).key)) move(k);
  }
  const redis = from.redisExpiryPrefix;
  for (const [k] of db.scanSync({ start: redis, end: prefixAfter(redis) })) {
    if (inSpan(right, from.parseRedisExpiry(k).key)) move(k);
  }
}

/** Moves the absorbed history records (a merge's: region_merge.ts) of keys in `right`. */
function moveAbsorbed(
  db: EngineReader,
  from: RegionKeys,
  to: RegionKeys,
  right: KeySpan,
  batch: WriteOp[],
): void {
  const prefix = from.local(new Uint8Array([RegionKind.Absorbed]));
  for (const [k, v] of db.scanSync({ start: prefix, end: prefixAfter(prefix) })) {
    if (!inSpan(right, from.parseAbsorbed(k))) continue;
    batch.push({ type: "del", key: k.slice() });
    batch.push({ type: "put", key: to.local(k.subarray(from.prefix.length)), value: v.slice() });
  }
}

const EMPTY = new Uint8Array(0);

/** The first key after every key starting with `prefix` (its last byte is never 0xff here). */
function prefixAfter(prefix: Uint8Array): Uint8Array {
  const out = prefix.slice();
  out[out.length - 1]++;
  return out;
}
