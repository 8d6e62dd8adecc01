/**
 * The engine ranges one region owns on a node's shared engine, and emptying them in bounded
 * batches (docs/regions.md "Region snapshots"). A region owns the user-keyed records of its
 * key range (snapshot_ranges.ts: data, key index, lease attachments, Redis, Percolator) and
 * its region-local records (`0x10 regionId`). It does not own the node-wide records a region's
 * snapshot also carries: the `0x00` meta records (format, member addresses) and the lease
 * records (`0x05`), which other regions' keys may be attached to.
 */
import { REGION_IMPORT_BATCH_BYTES, REGION_IMPORT_BATCH_OPS } from "../limits_ops.ts";
import type { RegionDescriptor } from "../region/descriptor.ts";
import type { Db, WriteOp } from "../storage/db.ts";
import { compareBytes, equalBytes } from "../util/bytes.ts";
import { Namespace } from "./keyspace.ts";
import { MvccNamespace } from "./mvcc_keys.ts";
import { regionKeys } from "./region_keys.ts";
import { type EngineRange, snapshotRanges } from "./snapshot_ranges.ts";

/** What an import, a clearing and the recovery use of the engine (tests cut its writes). */
export type RegionDb = Pick<Db, "get" | "scanSync" | "write" | "flush">;

/**
 * Runs one bounded batch of an import or a clearing: a node runs it on its engine's lock and
 * yields a timer turn after (region_image_install.ts); by default it runs at once.
 */
export type BatchStep = <T>(run: () => Promise<T>) => Promise<T>;

/** Bounds of the batches an import or a clearing writes (tests make them small). */
export interface BatchBounds {
  readonly ops?: number;
  readonly bytes?: number;
}

export function boundsOf(b: BatchBounds = {}): Required<BatchBounds> {
  return { ops: b.ops ?? REGION_IMPORT_BATCH_OPS, bytes: b.bytes ?? REGION_IMPORT_BATCH_BYTES };
}

/** Whether the snapshot range starting with `start` holds node-wide records. */
function nodeWide(r: EngineRange): boolean {
  return r.start.length === 1 &&
    (r.start[0] === Namespace.Meta || r.start[0] === MvccNamespace.Lease);
}

/** Every range of a region's snapshot (the descriptor's key range), node-wide ones marked. */
export function imageRanges(d: RegionDescriptor): (EngineRange & { owned: boolean })[] {
  const span = { start: d.start, end: d.end };
  return snapshotRanges(regionKeys(d.id), span).map((r) => ({ ...r, owned: !nodeWide(r) }));
}

/**
 * Deletes every record of the ranges region `d` owns, except the keys in `keep` (its marker),
 * in batches of at most `bounds.ops` deletes; each batch is a fresh scan from the last key.
 * `localOnly`: its region-local records only (a region merged away: its keys are the target's).
 */
export async function clearRegionRanges(
  db: RegionDb,
  d: RegionDescriptor,
  keep: readonly Uint8Array[],
  bounds: BatchBounds & { readonly localOnly?: boolean; readonly step?: BatchStep } = {},
): Promise<number> {
  const local = regionKeys(d.id).start;
  let deleted = 0;
  for (const r of imageRanges(d)) {
    if (!r.owned || (bounds.localOnly === true && !equalBytes(r.start, local))) continue;
    deleted += await clearEngineRange(db, r, keep, bounds);
  }
  return deleted;
}

/**
 * Deletes every record of `r` (those its `keep` accepts, if it has one) except the keys in
 * `keep`, in batches of at most `bounds.ops` deletes; each batch is a fresh scan from the last
 * key, and one `step` with its deletes.
 */
export async function clearEngineRange(
  db: RegionDb,
  r: Pick<EngineRange, "start" | "end" | "keep">,
  keep: readonly Uint8Array[],
  bounds: BatchBounds & { readonly step?: BatchStep } = {},
): Promise<number> {
  const { ops: max } = boundsOf(bounds);
  const step = bounds.step ?? ((run) => run());
  let deleted = 0, from = r.start;
  for (;;) {
    // The scan and its deletes in one step: between steps the node's other regions apply.
    const { n, last } = await step(async () => {
      const batch: WriteOp[] = [];
      let last: Uint8Array | undefined;
      for (const [k] of db.scanSync({ start: from, end: r.end })) {
        if (batch.length >= max) break;
        last = k;
        if (r.keep !== undefined && !r.keep(k)) continue;
        if (keep.some((x) => compareBytes(x, k) === 0)) continue;
        batch.push({ type: "del", key: k.slice() });
      }
      if (batch.length > 0) await db.write(batch);
      return { n: batch.length, last };
    });
    deleted += n;
    if (last === undefined || n < max) return deleted;
    from = after(last);
  }
}

/** The first key after `key`. */
function after(key: Uint8Array): Uint8Array {
  const out = new Uint8Array(key.length + 1);
  out.set(key);
  return out;
}
