/**
 * The state machine's own records in the meta namespace: the applied index,
 * the number of user keys, the store revision, the compacted revision and the
 * last applied command time (`now`: docs/decisions/0009-key-expiry.md).
 * They are written in the same engine batch as the data they describe.
 */
import type { Db } from "../storage/db.ts";
import { ByteReader, ByteWriter } from "../util/coding.ts";
import {
  APPLIED_KEY,
  DATA_PREFIX,
  decodeApplied,
  decodeSession,
  encodeApplied,
  KEY_COUNT_KEY,
  Namespace,
  parseSessionKey,
  SESSION_PREFIX,
} from "./keyspace.ts";
import { migrateFormat } from "./format_migration.ts";
import type { Sessions } from "./sessions.ts";
import type { WriteSet } from "./write_set.ts";

const enc = new TextEncoder();
export const REVISION_KEY: Uint8Array = new Uint8Array([Namespace.Meta, ...enc.encode("revision")]);
export const COMPACTED_KEY: Uint8Array = new Uint8Array([
  Namespace.Meta,
  ...enc.encode("compacted"),
]);

export const NOW_KEY: Uint8Array = new Uint8Array([Namespace.Meta, ...enc.encode("now")]);
export const REDIS_KEYS_KEY: Uint8Array = new Uint8Array([
  Namespace.Meta,
  ...enc.encode("redis-keys"),
]);

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

function encodeRedisKeys(counts: readonly number[]): Uint8Array {
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
export function engineRevision(db: Db): number {
  return fixed(db, REVISION_KEY);
}

/** Reads the meta records and the client sessions (migrating an older store first). */
export async function openMeta(db: Db, sessions: Sessions): Promise<StoreMeta> {
  let isEmpty = true;
  for await (const _ of db.scan({ prefix: DATA_PREFIX, limit: 1 })) isEmpty = false;
  const migrated = await migrateFormat(db, isEmpty);
  if (migrated !== undefined && migrated.revision > 0) {
    const at = encodeApplied(migrated.revision);
    await db.write([
      { type: "put", key: REVISION_KEY, value: at },
      { type: "put", key: COMPACTED_KEY, value: at },
    ]);
  }
  const heads: Parameters<Sessions["load"]>[0] = [];
  const legacy: { clientId: number; sequence: number; outcome: Uint8Array }[] = [];
  for await (const [key, value] of db.scan({ prefix: SESSION_PREFIX })) {
    const k = parseSessionKey(key);
    if (k.sequence === undefined) heads.push({ clientId: k.clientId, ...decodeSession(value) });
    else legacy.push({ clientId: k.clientId, sequence: k.sequence, outcome: value });
  }
  sessions.load(heads, legacy);
  return {
    applied: fixed(db, APPLIED_KEY),
    keyCount: fixed(db, KEY_COUNT_KEY),
    revision: fixed(db, REVISION_KEY),
    compacted: fixed(db, COMPACTED_KEY),
    now: fixed(db, NOW_KEY),
    redisKeys: decodeRedisKeys(db.get(REDIS_KEYS_KEY)),
  };
}

/** Adds the meta records of `next` to the batch (revisions only when they moved). */
export function writeMeta(ws: WriteSet, next: StoreMeta, prev: StoreMeta): void {
  ws.put(APPLIED_KEY, encodeApplied(next.applied));
  ws.put(KEY_COUNT_KEY, encodeApplied(next.keyCount));
  if (next.revision !== prev.revision) ws.put(REVISION_KEY, encodeApplied(next.revision));
  if (next.compacted !== prev.compacted) ws.put(COMPACTED_KEY, encodeApplied(next.compacted));
  if (next.now !== prev.now) ws.put(NOW_KEY, encodeApplied(next.now));
  if (next.redisKeys !== prev.redisKeys) ws.put(REDIS_KEYS_KEY, encodeRedisKeys(next.redisKeys));
}
