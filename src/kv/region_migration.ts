/**
 * Data format 3 (regions, docs/decisions/0014-regions.md §2) over a format-2 store: the store
 * becomes region 1. What its apply wrote about itself — applied index, counters, revisions,
 * sessions (0x01), history (0x03), expiry indexes (0x07, 0x0B), Redis garbage queue (0x0A) — is
 * rewritten under `0x10 1` (region_keys.ts: the old namespace byte becomes the kind byte, the
 * rest of the key is unchanged); the user-keyed namespaces are not touched.
 *
 * A store whose region-local records fit one batch is rewritten in one engine batch with the
 * format bump. A larger one cannot be (an engine batch holds at most WRITE_BATCH_OPS_MAX
 * operations, and an uncompacted history can be millions of records), so it goes in steps that
 * keep the store readable at every crash point:
 *
 * 1. copies under `0x10 1` in bounded batches, old records untouched: a format-2 reader never
 *    looks at 0x10, so a crash leaves the old format whole (the next open first clears the
 *    partial copies, then starts again);
 * 2. one small batch writes format 3: from here the copies are the store;
 * 3. the old records are deleted in bounded batches; a format-3 open finishes what a crash cut
 *    short (removeLegacyRecords).
 */
import type { Db, WriteOp } from "../storage/db.ts";
import { ByteWriter } from "../util/coding.ts";
import { Namespace } from "./keyspace.ts";
import {
  DEFAULT_REGION_ID,
  REGION_META_NAMES,
  REGION_NAMESPACE,
  regionKeys,
  RegionKind,
} from "./region_keys.ts";

/** What the migration needs of the engine (a test wraps it to cut a migration short). */
export type MigrationDb = Pick<Db, "get" | "scan" | "write" | "flush">;

const enc = new TextEncoder();
/** A record of the meta namespace (0x00 name): node-global, or a region's before format 3. */
export const legacyMetaKey = (name: string): Uint8Array =>
  new Uint8Array([Namespace.Meta, ...enc.encode(name)]);

/** The data format of the store; absent in format-1 stores. Node-global. */
export const FORMAT_KEY: Uint8Array = legacyMetaKey("format");
export const REGIONS_FORMAT = 3;
/** Records per copy or delete batch (2 operations each in the single-batch case). */
const BATCH_RECORDS = 10_000;

export function formatRecord(format: number): Uint8Array {
  return new ByteWriter(4).varint(format).finish();
}

/** The ranges of the pre-region layout that hold region-local records, in key order. */
function legacyRanges(): { start: Uint8Array; end: Uint8Array }[] {
  const metas = REGION_META_NAMES.map((n) => {
    const start = legacyMetaKey(n);
    return { start, end: new Uint8Array([...start, 0]) };
  });
  const kinds: number[] = [RegionKind.Session, RegionKind.History, RegionKind.Expiry];
  kinds.push(RegionKind.RedisGarbage, RegionKind.RedisExpiry);
  return [
    ...metas,
    ...kinds.map((k) => ({ start: new Uint8Array([k]), end: new Uint8Array([k + 1]) })),
  ];
}

/** Up to `max` records of the old layout, in the order of legacyRanges; `more` if any are left. */
async function readLegacy(
  db: MigrationDb,
  max: number,
): Promise<{ records: [Uint8Array, Uint8Array][]; more: boolean }> {
  const records: [Uint8Array, Uint8Array][] = [];
  for (const range of legacyRanges()) {
    for await (const [k, v] of db.scan({ ...range, limit: max - records.length + 1 })) {
      if (records.length === max) return { records, more: true };
      records.push([k.slice(), v.slice()]);
    }
  }
  return { records, more: false };
}

/** Format 2 → 3. */
export async function toRegionFormat(db: MigrationDb, batch = BATCH_RECORDS): Promise<void> {
  const region = regionKeys(DEFAULT_REGION_ID);
  const bump: WriteOp = { type: "put", key: FORMAT_KEY, value: formatRecord(REGIONS_FORMAT) };
  await clearRegionSpace(db, batch); // copies of an attempt a crash cut short
  const first = await readLegacy(db, batch);
  if (!first.more) {
    const ops: WriteOp[] = first.records.map(([k, v]) => ({
      type: "put",
      key: region.local(k),
      value: v,
    }));
    for (const [k] of first.records) ops.push({ type: "del", key: k });
    ops.push(bump);
    await db.write(ops);
    return await db.flush();
  }
  for (const range of legacyRanges()) {
    let start = range.start;
    for (;;) {
      const ops: WriteOp[] = [];
      let last = start;
      for await (const [k, v] of db.scan({ start, end: range.end, limit: batch })) {
        ops.push({ type: "put", key: region.local(k), value: v.slice() });
        last = k;
      }
      if (ops.length > 0) await db.write(ops);
      if (ops.length < batch) break;
      start = successor(last);
    }
  }
  await db.flush(); // every copy is durable before the format says they are the store
  await db.write([bump]);
  await removeLegacyRecords(db, batch);
  await db.flush();
}

/**
 * Deletes what the pre-region layout left (in a format-3 store nothing reads it): the tail of
 * a migration a crash cut short. A look at each old range when there is nothing.
 */
export async function removeLegacyRecords(db: MigrationDb, batch = BATCH_RECORDS): Promise<void> {
  for (;;) {
    const { records, more } = await readLegacy(db, batch);
    if (records.length === 0) return;
    await db.write(records.map(([k]) => ({ type: "del", key: k })));
    if (!more) return;
  }
}

/** Deletes every key under 0x10 (only ever partial copies in a format-2 store). */
async function clearRegionSpace(db: MigrationDb, batch: number): Promise<void> {
  const range = { start: new Uint8Array([REGION_NAMESPACE]), end: new Uint8Array([0x11]) };
  for (;;) {
    const ops: WriteOp[] = [];
    for await (const [k] of db.scan({ ...range, limit: batch })) {
      ops.push({ type: "del", key: k.slice() });
    }
    if (ops.length > 0) await db.write(ops);
    if (ops.length < batch) return;
  }
}

function successor(key: Uint8Array): Uint8Array {
  const out = new Uint8Array(key.length + 1);
  out.set(key);
  return out;
}
