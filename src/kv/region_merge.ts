/**
 * A merge at the storage level (docs/regions.md "Merge"): what the target's CommitMerge batch
 * writes when it takes in the adjacent source. User-keyed data moves nowhere (one engine);
 * only region-local records are written, all under the target's prefix:
 *
 * - each source key's newest change (a put) is copied as an absorbed record of the target
 *   (RegionKind.Absorbed, keyed by user key, revision and sub): the key's index entries point
 *   into the source's feeds, which the target does not read, and the copy is all a read at or
 *   after the merge needs (the merged region is compacted to the merge's revision);
 * - expiry index entries (both kinds) move to the target;
 * - client sessions are united (a retried write of the source's may now land in the target); a
 *   session the target lacks is taken as last active at the merge's index, since its own index
 *   counts the source's log, which the target's next write for that client could be below (a
 *   node halted on "session of … went back to index" under load, session 20);
 * - the Redis garbage queue entries move where the target has none at that position (the
 *   queue is node-local housekeeping: one left behind leaks dead members, nothing more);
 * - the counters are summed by the caller (region_apply.ts), which writes the descriptors.
 *
 * The source's own records stay until its replica is dropped (region_removal.ts deletes the
 * region-local records; the user keys are the target's now). Cost: one scan of the source's
 * key index and local records, bounded by the size of a region small enough to merge.
 */
import type { WriteOp } from "../storage/db.ts";
import { ChangeType, decodeIndexEntry } from "./key_record.ts";
import { decodeSession, encodeSession } from "./keyspace.ts";
import { equalBytes } from "../util/bytes.ts";
import type { HistoryView } from "./history_view.ts";
import { INDEX_END, indexBound, parseIndexKey } from "./mvcc_keys.ts";
import type { RegionKeys } from "./region_keys.ts";
import type { KeySpan } from "./snapshot_ranges.ts";
import type { EngineReader } from "./write_set.ts";

export interface MergePlan {
  readonly target: RegionKeys;
  readonly source: RegionKeys;
  /** The source's history as it reads it (its feeds, lineage and own absorbed records). */
  readonly sourceView: HistoryView;
  readonly sourceSpan: KeySpan;
  /** The CommitMerge's index in the target's log. */
  readonly index: number;
}

/** Adds the merge's region-local writes to `batch`. */
export function mergeRegions(db: EngineReader, plan: MergePlan, batch: WriteOp[]): void {
  absorbHistory(db, plan, batch);
  moveLocal(db, plan, plan.source.expiryPrefix, batch, true);
  moveLocal(db, plan, plan.source.redisExpiryPrefix, batch, true);
  moveLocal(db, plan, plan.source.garbagePrefix, batch, false);
  uniteSessions(db, plan, batch);
}

function absorbHistory(db: EngineReader, plan: MergePlan, batch: WriteOp[]): void {
  const { sourceSpan: span, sourceView: view } = plan;
  const end = span.end.length > 0 ? indexBound(span.end) : INDEX_END;
  let last: Uint8Array | undefined;
  for (const [k, v] of db.scanSync({ start: indexBound(span.start), end })) {
    const { key, revision } = parseIndexKey(k);
    if (last !== undefined && equalBytes(last, key)) continue; // only the newest change counts
    last = key.slice();
    const entry = decodeIndexEntry(v);
    if (entry.type !== ChangeType.Put) continue;
    const raw = db.get(view.recordKey(db, key, revision, entry.sub));
    if (raw === undefined) continue;
    batch.push({ type: "put", key: plan.target.absorbed(key, revision, entry.sub), value: raw });
  }
}

/** Moves (or copies when the target has the key already: never) the source's `prefix` records. */
function moveLocal(
  db: EngineReader,
  plan: MergePlan,
  prefix: Uint8Array,
  batch: WriteOp[],
  overwrite: boolean,
): void {
  const { source, target } = plan;
  for (const [k, v] of db.scanSync({ start: prefix, end: prefixAfter(prefix) })) {
    const to = target.local(k.subarray(source.prefix.length));
    if (!overwrite && db.get(to) !== undefined) continue;
    batch.push({ type: "del", key: k.slice() }, { type: "put", key: to, value: v.slice() });
  }
}

function uniteSessions(db: EngineReader, plan: MergePlan, batch: WriteOp[]): void {
  const { source, target } = plan;
  const prefix = source.sessionPrefix;
  for (const [k, v] of db.scanSync({ start: prefix, end: prefixAfter(prefix) })) {
    const { clientId, sequence } = source.parseSession(k);
    if (sequence !== undefined) continue; // an outcome of the older layout: forgotten
    const to = target.session(clientId);
    const mine = db.get(to);
    const b = decodeSession(v);
    if (mine === undefined) {
      const session = encodeSession({ ...b, lastActiveIndex: plan.index });
      batch.push({ type: "put", key: to, value: session });
      continue;
    }
    const a = decodeSession(mine);
    const results = new Map([...b.results, ...a.results]);
    const floor = Math.max(a.floor, b.floor);
    for (const seq of [...results.keys()]) if (seq <= floor) results.delete(seq);
    const lastActiveIndex = a.lastActiveIndex;
    batch.push({ type: "put", key: to, value: encodeSession({ floor, lastActiveIndex, results }) });
  }
}

/** The first key after every key starting with `prefix` (its last byte is never 0xff here). */
function prefixAfter(prefix: Uint8Array): Uint8Array {
  const out = prefix.slice();
  out[out.length - 1]++;
  return out;
}
