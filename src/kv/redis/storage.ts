/**
 * What the Redis commands read and write, whether they run in the state
 * machine's apply step (apply_storage.ts: writes go into the apply pass's
 * batch at the command's revision) or after a read barrier on the node's
 * local engine (read_storage.ts: read-only). Everything here is synchronous:
 * a Redis command runs whole in one turn, so a MULTI block is atomic.
 */
import type { KeyState } from "../key_state.ts";
import type { Generation } from "./keys.ts";
import type { RegionKeys } from "../region_keys.ts";

/** Something the applied commands announce: a PUBLISH, or a keyspace event. */
export type RedisEvent =
  | { readonly kind: "publish"; readonly channel: Uint8Array; readonly message: Uint8Array }
  | {
    readonly kind: "keyspace";
    readonly db: number;
    /** Redis's event name: "set", "del", "expire", "hset", ... */
    readonly event: string;
    readonly key: Uint8Array;
    /** Redis's notify-keyspace-events class letter: g $ h s x e. */
    readonly cls: string;
  };

export interface RedisStorage {
  /** The command's replicated time when applying; the node's read time for reads (Unix ms). */
  readonly now: number;
  /** The revision this command's changes get (0 when read-only). */
  readonly revision: number;
  readonly writable: boolean;
  /** Where the region-local records (expiry index, garbage queue) go; only writes use it. */
  readonly region: RegionKeys;

  get(engineKey: Uint8Array): Uint8Array | undefined;
  /** Entries with engine keys in [start, end), in key order. */
  scan(start: Uint8Array, end: Uint8Array): Iterable<[Uint8Array, Uint8Array]>;
  put(engineKey: Uint8Array, value: Uint8Array): void;
  delete(engineKey: Uint8Array): void;

  /** Database 0's strings are the revisioned keyspace's keys: stored state (maybe expired). */
  stringOf0(key: Uint8Array): KeyState | undefined;
  /**
   * `keepLease`: the key stays attached to its lease (an expiry change, as the protobuf
   * expire does); without it a new value drops the lease, as a put without one does.
   */
  putString0(key: Uint8Array, value: Uint8Array, expireAtMs: number, keepLease?: boolean): void;
  deleteString0(key: Uint8Array): void;

  /** A generation no collection has had (the revision and a counter within the command). */
  newGeneration(): Generation;
  /** A number in [0, 1): deterministic when applying (seeded from the revision). */
  random(): number;
  /**
   * Whether database `db` may hold keys outside the revisioned keyspace (meta
   * records): false lets database 0's string commands skip looking for one.
   */
  mayHaveTyped(db: number): boolean;
  /** The number of keys of database `db` (expired keys count until they are swept). */
  keyCount(db: number): number;
  /** Keys kept outside the revisioned keyspace: +1 created, -1 removed, per database. */
  countKey(db: number, delta: number): void;
  emit(event: RedisEvent): void;
  /** Whether the request has written more than its budget (apply_request.ts); never for reads. */
  overBudget(): boolean;
  /** Whether `ops` more engine writes of `bytes` in all still fit the request's budget. */
  roomFor(ops: number, bytes: number): boolean;
}

/**
 * Key counts over every region of a node (its regions share one engine), for Redis reads there:
 * DBSIZE, and whether database `db` may hold keys other than strings (a GET then looks for them).
 */
export interface RedisKeyCounts {
  keyCount(): number;
  redisKeyCount(db: number): number;
  /** Keys of `db` outside the revisioned keyspace (hashes, sets, …), summed in one pass. */
  typedKeyCount(db: number): number;
}

/** Writes refused by a read-only storage: a bug in the command table, never user input. */
export function readOnly(): never {
  throw new Error("a read-only Redis command tried to write");
}

/** A small deterministic generator (mulberry32) for SPOP, RANDOMKEY and the like. */
export function seededRandom(seed: number): () => number {
  let a = (seed ^ 0x9e3779b9) >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
