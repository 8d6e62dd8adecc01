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
 * - key counts (keys, redis-keys) of both halves, from the parent's exact counts and a keys-only
 *   walk of the left half's namespaces the parent holds keys in (`halfCounts`);
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
import { copyMergedSources } from "./merged_sources.ts";
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

/**
 * Adds the split's writes to `batch`; returns the halves' key counts. `parent`: the parent's
 * counts before the split (its store meta: exact, kept by every apply).
 */
export function splitRegion(
  db: EngineReader,
  plan: SplitPlan,
  batch: WriteOp[],
  parent: HalfCounts,
): SplitResult {
  const from = regionKeys(plan.parent), to = regionKeys(plan.child);
  const left: KeySpan = { start: plan.span.start, end: plan.splitKey };
  const right: KeySpan = { start: plan.splitKey, end: plan.span.end };
  const counts = halfCounts(db, left, right, parent);
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
  batch.push(...copyMergedSources(db, plan.parent, plan.child)); // proofs for both halves
  moveExpiry(db, from, to, right, batch);
  moveAbsorbed(db, from, to, right, batch);
  return counts;
}

/**
 * The halves' key counts without reading twice what a count needs once, nor what it needs not:
 *
 * - a namespace (the user keys; each Redis database's meta records) the parent holds no key of
 *   is empty in both halves: no walk. A walk of an empty range is not free: its seek reads the
 *   engine block it lands in, which may hold another namespace's large value (the feed record
 *   of a 100 MiB SET) — 16 Redis databases × 2 halves of such reads were 6 s of a split that
 *   blocked its node 8–12 s (decision 0020, gap 3);
 * - otherwise only the left half is walked, keys only (no value copied out: ScanOptions
 *   `keysOnly`), and the right half's count is the parent's less the left's. The walk steps
 *   over the blocks its keys are in; a large value's block is opened by its start
 *   (storage/sstable/block_peek.ts), so the value itself is not read, nor is a seek's landing
 *   block. (Counts from table metadata: the tables know bytes per block, not keys; and counts
 *   the split check took would be stale by the apply, and differ between replicas.)
 *
 * A parent count below its left half's (it never is: every apply keeps it) would be a bug
 * elsewhere; the right half is then walked too rather than given a negative count.
 */
function halfCounts(
  db: EngineReader,
  left: KeySpan,
  right: KeySpan,
  parent: HalfCounts,
): SplitResult {
  const count = (head: number[], total: number): [number, number] => {
    if (total === 0) return [0, 0];
    const l = countKeys(db, head, left);
    return l <= total ? [l, total - l] : [l, countKeys(db, head, right)];
  };
  const [keysLeft, keysRight] = count([Namespace.Data], parent.keys);
  const redisLeft: number[] = [], redisRight: number[] = [];
  for (let d = 0; d < REDIS_DATABASES; d++) {
    const [l, r] = count([RedisNamespace.Meta, d], parent.redisKeys[d] ?? 0);
    redisLeft.push(l);
    redisRight.push(r);
  }
  return {
    left: { keys: keysLeft, redisKeys: redisLeft },
    right: { keys: keysRight, redisKeys: redisRight },
  };
}

/** The records under `head` (a namespace's first bytes) whose key lies in `span`: keys only. */
function countKeys(db: EngineReader, head: number[], span: KeySpan): number {
  const bound = (key: Uint8Array) => new Uint8Array([...head, ...key]);
  const end = span.end.length > 0 ? bound(span.end) : prefixAfter(new Uint8Array(head));
  let n = 0;
  for (const _ of db.scanSync({ start: bound(span.start), end, keysOnly: true })) n++;
  return n;
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
