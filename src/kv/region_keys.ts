/**
 * Engine keys of what one region's Raft group writes about itself
 * (docs/formats.md#region-local-keyspace, docs/regions.md):
 *
 *   0x10 regionId:u64be kind ...
 *
 * The kind byte is the namespace byte the record had before regions (format 2), and what
 * follows it is unchanged, so a pre-region store becomes region 1 by prefixing its region-local
 * keys with `0x10 1` (format_migration.ts):
 *
 *   0x00 "applied" | "keys" | "redis-keys" | "revision" | "compacted" | "now" | "compacted-done"
 *   0x01 clientId:u64be [sequence:u64be]     client sessions (retry dedup)
 *   0x03 revision:u64be sub:u32be            the change feed (history records)
 *   0x07 expireAtMs:u64be userKey            expiry index of the revisioned keyspace
 *   0x0A revision:u64be sub:u32be            Redis garbage queue
 *   0x0B expireAtMs:u64be db:u8 key          expiry index of the Redis meta records
 *
 * Everything keyed by user key (0x02, 0x04, 0x08, 0x09, 0x0C, 0x0D) stays unprefixed, shared
 * by the regions of the node: a split moves no data. A state machine is built for one region
 * and takes every region-local key from its RegionKeys.
 */
import { DecodeError, readU32BE, readU64BE, writeU32BE, writeU64BE } from "../util/coding.ts";

/** The namespace byte of every region-local key. Written to disk: never renumber. */
export const REGION_NAMESPACE = 0x10;
/** The region a new cluster starts with, and the one a store written before regions becomes. */
export const DEFAULT_REGION_ID = 1;
/** Bytes before the kind: the namespace byte and the region id. */
const HEAD = 9;
/** Where a region key's kind byte is (after its namespace byte and u64 region id). */
export const REGION_KIND_AT = HEAD;

/** Kind bytes: the namespace each record had before regions. Never renumber. */
export const RegionKind = {
  Meta: 0x00,
  Session: 0x01,
  History: 0x03,
  Expiry: 0x07,
  RedisGarbage: 0x0a,
  RedisExpiry: 0x0b,
  /** History records of keys a merge absorbed (region_merge.ts): userKey revision sub. */
  Absorbed: 0x0c,
} as const;

/** Names of the region-local records of the Meta kind. */
export const REGION_META_NAMES = [
  "applied",
  "keys",
  "redis-keys",
  "revision",
  "compacted",
  "now",
  "compacted-done",
] as const;
export type RegionMetaName = typeof REGION_META_NAMES[number];

const enc = new TextEncoder();

/** How a state machine is opened (state_machine.ts). */
export interface KvOptions {
  /** The region it applies for; its local records live under `0x10 regionId` (default 1). */
  readonly regionId?: number;
  /** Its key range, for history reads and compaction (history_view.ts; default: all keys). */
  readonly span?: { readonly start: Uint8Array; readonly end: Uint8Array };
}

export class RegionKeys {
  /** `0x10 regionId`: every key of the region starts with it. */
  readonly prefix: Uint8Array;
  /** The region-local keys are [start, end). */
  readonly start: Uint8Array;
  readonly end: Uint8Array;
  readonly applied: Uint8Array;
  readonly keyCount: Uint8Array;
  readonly redisKeys: Uint8Array;
  readonly revision: Uint8Array;
  readonly compacted: Uint8Array;
  readonly now: Uint8Array;
  readonly compactedDone: Uint8Array;
  readonly sessionPrefix: Uint8Array;
  readonly historyEnd: Uint8Array;
  readonly expiryPrefix: Uint8Array;
  readonly redisExpiryPrefix: Uint8Array;
  readonly garbagePrefix: Uint8Array;
  readonly garbageEnd: Uint8Array;
  /**
   * Engine batches written that changed this region's expiry indexes (WriteSet.clear, after
   * the write): the expiry sweep reads the indexes again only once this moved or a key it read
   * is due (region_services.ts). Not persisted; compared only for equality.
   */
  expiryWrites = 0;

  constructor(readonly id: number) {
    if (!Number.isSafeInteger(id) || id < 0) throw new RangeError(`region id ${id}`);
    this.prefix = new Uint8Array(HEAD);
    this.prefix[0] = REGION_NAMESPACE;
    writeU64BE(this.prefix, 1, id);
    this.start = this.prefix;
    this.end = new Uint8Array(HEAD);
    if (id + 1 > Number.MAX_SAFE_INTEGER) this.end[0] = REGION_NAMESPACE + 1;
    else (this.end[0] = REGION_NAMESPACE, writeU64BE(this.end, 1, id + 1));
    this.applied = this.meta("applied");
    this.keyCount = this.meta("keys");
    this.redisKeys = this.meta("redis-keys");
    this.revision = this.meta("revision");
    this.compacted = this.meta("compacted");
    this.now = this.meta("now");
    this.compactedDone = this.meta("compacted-done");
    this.sessionPrefix = this.#key(RegionKind.Session, 0);
    this.historyEnd = this.#key(RegionKind.History + 1, 0);
    this.expiryPrefix = this.#key(RegionKind.Expiry, 0);
    this.redisExpiryPrefix = this.#key(RegionKind.RedisExpiry, 0);
    this.garbagePrefix = this.#key(RegionKind.RedisGarbage, 0);
    this.garbageEnd = this.#key(RegionKind.RedisGarbage + 1, 0);
  }

  /** The region's key for `oldKey`, a key of the pre-region layout (its namespace = the kind). */
  local(oldKey: Uint8Array): Uint8Array {
    const k = new Uint8Array(HEAD + oldKey.length);
    k.set(this.prefix);
    k.set(oldKey, HEAD);
    return k;
  }

  /** Whether `key` is a key of this region of `kind`. */
  isKind(key: Uint8Array, kind: number): boolean {
    if (key.length <= HEAD || key[HEAD] !== kind) return false;
    for (let i = 0; i < HEAD; i++) if (key[i] !== this.prefix[i]) return false;
    return true;
  }

  meta(name: RegionMetaName): Uint8Array {
    const bytes = enc.encode(name);
    const k = this.#key(RegionKind.Meta, bytes.length);
    k.set(bytes, HEAD + 1);
    return k;
  }

  // ---- Sessions ----

  session(clientId: number): Uint8Array {
    const k = this.#key(RegionKind.Session, 8);
    writeU64BE(k, HEAD + 1, clientId);
    return k;
  }

  /** A saved outcome as builds before 2026-11-22 stored it (one key per outcome). */
  result(clientId: number, sequence: number): Uint8Array {
    const k = this.#key(RegionKind.Session, 16);
    writeU64BE(k, HEAD + 1, clientId);
    writeU64BE(k, HEAD + 9, sequence);
    return k;
  }

  parseSession(key: Uint8Array): { clientId: number; sequence?: number } {
    const n = key.length - HEAD - 1;
    if (n === 8) return { clientId: readU64BE(key, HEAD + 1) };
    if (n === 16) {
      return { clientId: readU64BE(key, HEAD + 1), sequence: readU64BE(key, HEAD + 9) };
    }
    throw new DecodeError(`session key of ${key.length} bytes`, 0);
  }

  // ---- The change feed ----

  history(revision: number, sub: number): Uint8Array {
    const k = this.#key(RegionKind.History, 12);
    writeU64BE(k, HEAD + 1, revision);
    writeU32BE(k, HEAD + 9, sub);
    return k;
  }

  /** The first history key of `revision` (a scan bound). */
  historyStart(revision: number): Uint8Array {
    const k = this.#key(RegionKind.History, 8);
    writeU64BE(k, HEAD + 1, revision);
    return k;
  }

  parseHistory(k: Uint8Array): { revision: number; sub: number } {
    if (k.length !== HEAD + 13 || k[HEAD] !== RegionKind.History) {
      throw new DecodeError(`history key of ${k.length} bytes`, 0);
    }
    return { revision: readU64BE(k, HEAD + 1), sub: readU32BE(k, HEAD + 9) };
  }

  // ---- Expiry indexes ----

  /** The entry of `userKey` expiring at `expireAtMs` (Unix ms). */
  expiry(expireAtMs: number, userKey: Uint8Array): Uint8Array {
    const k = this.#key(RegionKind.Expiry, 8 + userKey.length);
    writeU64BE(k, HEAD + 1, expireAtMs);
    k.set(userKey, HEAD + 9);
    return k;
  }

  /** Entries of keys expiring at or before `nowMs` sort before this bound. */
  expiryBound(nowMs: number): Uint8Array {
    return this.expiry(nowMs + 1, new Uint8Array(0));
  }

  parseExpiry(k: Uint8Array): { expireAtMs: number; key: Uint8Array } {
    if (k.length < HEAD + 9 || k[HEAD] !== RegionKind.Expiry) {
      throw new DecodeError("bad expiry key", 0);
    }
    return { expireAtMs: readU64BE(k, HEAD + 1), key: k.subarray(HEAD + 9) };
  }

  redisExpiry(expireAtMs: number, db: number, key: Uint8Array): Uint8Array {
    const k = this.#key(RegionKind.RedisExpiry, 9 + key.length);
    writeU64BE(k, HEAD + 1, expireAtMs);
    k[HEAD + 9] = db;
    k.set(key, HEAD + 10);
    return k;
  }

  /** Redis expiry entries due at or before `nowMs` sort before this bound. */
  redisExpiryBound(nowMs: number): Uint8Array {
    const k = this.#key(RegionKind.RedisExpiry, 8);
    writeU64BE(k, HEAD + 1, nowMs + 1);
    return k;
  }

  parseRedisExpiry(k: Uint8Array): { expireAtMs: number; db: number; key: Uint8Array } {
    if (k.length < HEAD + 10 || k[HEAD] !== RegionKind.RedisExpiry) {
      throw new DecodeError("not a Redis expiry key", 0);
    }
    return { expireAtMs: readU64BE(k, HEAD + 1), db: k[HEAD + 9], key: k.subarray(HEAD + 10) };
  }

  // ---- Absorbed history (a merge) ----

  /** The record of `userKey`'s change at `revision`/`sub`, copied here by a merge. */
  absorbed(userKey: Uint8Array, revision: number, sub: number): Uint8Array {
    const k = this.#key(RegionKind.Absorbed, userKey.length + 12);
    k.set(userKey, HEAD + 1);
    writeU64BE(k, HEAD + 1 + userKey.length, revision);
    writeU32BE(k, HEAD + 9 + userKey.length, sub);
    return k;
  }

  /** The user key of an absorbed record's key. */
  parseAbsorbed(k: Uint8Array): Uint8Array {
    if (k.length < HEAD + 13 || k[HEAD] !== RegionKind.Absorbed) {
      throw new DecodeError("not an absorbed history key", 0);
    }
    return k.subarray(HEAD + 1, k.length - 12);
  }

  // ---- Redis garbage queue ----

  garbage(gen: { readonly revision: number; readonly sub: number }): Uint8Array {
    const k = this.#key(RegionKind.RedisGarbage, 12);
    writeU64BE(k, HEAD + 1, gen.revision);
    writeU32BE(k, HEAD + 9, gen.sub);
    return k;
  }

  /** The region's key of `kind` with room for `extra` bytes after the kind. */
  #key(kind: number, extra: number): Uint8Array {
    const k = new Uint8Array(HEAD + 1 + extra);
    k.set(this.prefix);
    k[HEAD] = kind;
    return k;
  }
}

const cache = new Map<number, RegionKeys>();

/** The (shared, immutable) key builder of region `id`. */
export function regionKeys(id: number = DEFAULT_REGION_ID): RegionKeys {
  let keys = cache.get(id);
  if (keys === undefined) {
    keys = new RegionKeys(id);
    if (cache.size < 1024) cache.set(id, keys);
  }
  return keys;
}
