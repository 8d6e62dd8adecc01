/**
 * The state machine's own records, region-local (region_keys.ts): the applied index,
 * the number of user keys, the store revision, the compacted revision and the
 * last applied command time (`now`: docs/decisions/0009-key-expiry.md).
 * They are written in the same engine batch as the data they describe.
 */
import type { Db } from "../storage/db.ts";
import { ByteReader, ByteWriter } from "../util/coding.ts";
import { DATA_PREFIX, decodeApplied, decodeSession, encodeApplied } from "./keyspace.ts";
import { migrateFormat } from "./format_migration.ts";
import type { RegionKeys } from "./region_keys.ts";
import type { Sessions } from "./sessions.ts";
import type { WriteSet } from "./write_set.ts";

export interface StoreMeta {
  readonly applied: number;
  readonly keyCount: number;
  readonly revision: number;
  readonly compacted: number;
  /** The time of the last applied command (Unix ms): the replicated clock only grows. */
  readonly now: number;
  /**
   * Redis keys kept outside the revisioned keyspace, per database 0-15
   * (hashes and sets; every key of databases 1-15): src/redis/keys.ts.
   */
  readonly redisKeys: readonly number[];
}

const REDIS_DATABASES = 16;

function decodeRedisKeys(raw: Uint8Array | undefined): number[] {
  const counts = new Array<number>(REDIS_DATABASES).fill(0);
  if (raw === undefined) return counts;
  const r = new ByteReader(raw);
  for (let i = 0; i < REDIS_DATABASES; i++) counts[i] = r.varint();
  return counts;
}

export function encodeRedisKeys(counts: readonly number[]): Uint8Array {
  const w = new ByteWriter(REDIS_DATABASES * 2);
  for (let i = 0; i < REDIS_DATABASES; i++) w.varint(counts[i] ?? 0);
  return w.finish();
}

/** Adds per-database deltas to the counts. */
export function addRedisKeys(counts: readonly number[], deltas: ReadonlyMap<number, number>) {
  if (deltas.size === 0) return counts;
  const next = [...counts];
  for (const [db, d] of deltas) next[db] += d;
  return next;
}

function fixed(db: Db, key: Uint8Array): number {
  const raw = db.get(key);
  return raw === undefined ? 0 : decodeApplied(raw);
}

/**
 * The store revision as the engine holds it now: the revision of exactly what
 * a read of the engine in the same turn sees (it is written in the same batch
 * as the data it describes).
 */
export function engineRevision(db: Db, region: RegionKeys): number {
  return fixed(db, region.revision);
}

/** Reads the meta records and the client sessions of `region` (migrating an older store first). */
export async function openMeta(db: Db, sessions: Sessions, region: RegionKeys): Promise<StoreMeta> {
  let isEmpty = true;
  for await (const _ of db.scan({ prefix: DATA_PREFIX, limit: 1 })) isEmpty = false;
  await migrateFormat(db, isEmpty);
  const heads: Parameters<Sessions["load"]>[0] = [];
  const legacy: { clientId: number; sequence: number; outcome: Uint8Array }[] = [];
  for await (const [key, value] of db.scan({ prefix: region.sessionPrefix })) {
    const k = region.parseSession(key);
    if (k.sequence === undefined) heads.push({ clientId: k.clientId, ...decodeSession(value) });
    else legacy.push({ clientId: k.clientId, sequence: k.sequence, outcome: value });
  }
  sessions.load(heads, legacy);
  return {
    applied: fixed(db, region.applied),
    keyCount: fixed(db, region.keyCount),
    revision: fixed(db, region.revision),
    compacted: fixed(db, region.compacted),
    now: fixed(db, region.now),
    redisKeys: decodeRedisKeys(db.get(region.redisKeys)),
  };
}

/** Adds the meta records of `next` to the batch (revisions only when they moved). */
export function writeMeta(ws: WriteSet, next: StoreMeta, prev: StoreMeta): void {
  const r = ws.region;
  ws.put(r.applied, encodeApplied(next.applied));
  ws.put(r.keyCount, encodeApplied(next.keyCount));
  if (next.revision !== prev.revision) ws.put(r.revision, encodeApplied(next.revision));
  if (next.compacted !== prev.compacted) ws.put(r.compacted, encodeApplied(next.compacted));
  if (next.now !== prev.now) ws.put(r.now, encodeApplied(next.now));
  if (next.redisKeys !== prev.redisKeys) ws.put(r.redisKeys, encodeRedisKeys(next.redisKeys));
}
