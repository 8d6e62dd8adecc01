/**
 * RedisStorage for a Redis run whose keys lie in more than one region, run by the node's
 * coordinator as a transaction across regions (server/node/cross_region_redis.ts,
 * docs/transactions.md "Redis commands across regions"). The commands run here exactly as they
 * run at apply, over:
 *
 * - database 0's strings as of the transaction's start timestamp (`snapshot`: every key the run
 *   names, read there), with the run's own writes over them;
 * - for the rest the commands of those keys look at, what the reads at the start timestamp
 *   brought of each (here or from its region's leader: server/node/keys_at.ts): its meta record
 *   in database 0 (WRONGTYPE) and its key index's newest entry (WATCH's token of an absent key).
 *   Both are read just after the snapshot, so at least as new as the start timestamp; a change
 *   after it conflicts at the prewrite;
 *
 * and they may write only database 0's strings without expiry: those are what a commit puts into
 * the keyspace. Anything else — another database, a hash or set, an expiry, a key the run does
 * not name, a key count, PUBLISH — throws `NotAcrossRegions`, and the run is refused whole.
 */
import type { KeyState } from "../key_state.ts";
import type { RegionKeys } from "../region_keys.ts";
import { indexKeyEnd } from "../mvcc_keys.ts";
import { compareBytes, toHex } from "../../util/bytes.ts";
import type { Generation } from "./keys.ts";
import { metaKey } from "./keys.ts";
import { type RedisEvent, type RedisStorage, seededRandom } from "./storage.ts";

/** What the run did that a transaction across regions cannot carry. */
export class NotAcrossRegions extends Error {
  override name = "NotAcrossRegions";
}

function refuse(what: string): never {
  throw new NotAcrossRegions(what);
}

/** What the storage reads besides the snapshot: the named keys' records read with it. */
export interface LocalView {
  readonly now: number;
  get(engineKey: Uint8Array): Uint8Array | undefined;
  scan(start: Uint8Array, end: Uint8Array): Iterable<[Uint8Array, Uint8Array]>;
  mayHaveTyped(db: number): boolean;
}

/** A write the transaction will commit: a put of `value`, or a delete (`value` undefined). */
export interface StringWrite {
  readonly key: Uint8Array;
  readonly value: Uint8Array | undefined;
}

export class TxnRedisStorage implements RedisStorage {
  readonly writable = true;
  /** Writes of database 0's strings, by hex key, in the order first written. */
  readonly #own = new Map<string, { key: Uint8Array; state: KeyState | undefined }>();
  /** The engine keys the commands may read locally: meta records and key index ends. */
  readonly #allowed = new Set<string>();
  readonly #random: () => number;
  /** Keyspace events the commands announced (not published: see cross_region_redis.ts). */
  events = 0;

  constructor(
    readonly local: LocalView,
    /** Every key the run names, as of the start timestamp (undefined: absent). */
    readonly snapshot: ReadonlyMap<string, KeyState | undefined>,
    readonly keys: readonly Uint8Array[],
    /** The start timestamp: the run's revision until the commit's is known. */
    readonly revision: number,
  ) {
    for (const k of keys) {
      this.#allowed.add(toHex(metaKey(0, k)));
      this.#allowed.add(toHex(indexKeyEnd(k)));
    }
    this.#random = seededRandom(revision);
  }

  get now(): number {
    return this.local.now;
  }

  get region(): RegionKeys {
    return refuse("an expiry or a hash or set");
  }

  /** The writes, in key order. */
  writes(): StringWrite[] {
    return [...this.#own.values()]
      .map(({ key, state }) => ({ key, value: state?.value }))
      .sort((a, b) => compareBytes(a.key, b.key));
  }

  get(engineKey: Uint8Array): Uint8Array | undefined {
    if (!this.#allowed.has(toHex(engineKey))) refuse("a read of another database or key");
    return this.local.get(engineKey);
  }

  scan(start: Uint8Array, end: Uint8Array): Iterable<[Uint8Array, Uint8Array]> {
    if (!this.#allowed.has(toHex(end))) refuse("a scan of the keyspace");
    return this.local.scan(start, end);
  }

  stringOf0(key: Uint8Array): KeyState | undefined {
    const hex = toHex(key);
    const own = this.#own.get(hex);
    if (own !== undefined) return own.state;
    if (!this.snapshot.has(hex)) refuse("a key the command does not name");
    return this.snapshot.get(hex);
  }

  putString0(key: Uint8Array, value: Uint8Array, expireAtMs: number, keepLease?: boolean): void {
    if (expireAtMs !== 0) refuse("a write with an expiry");
    const prev = this.stringOf0(key);
    const state: KeyState = {
      key: key.slice(),
      value: value.slice(),
      // -1: the commit timestamp, not known until the commit.
      createRevision: prev?.createRevision ?? -1,
      modRevision: -1,
      version: (prev?.version ?? 0) + 1,
      lease: keepLease === true ? prev?.lease ?? 0 : 0,
      expireAtMs: 0,
    };
    this.#own.set(toHex(key), { key: state.key, state });
  }

  deleteString0(key: Uint8Array): void {
    this.stringOf0(key);
    this.#own.set(toHex(key), { key: key.slice(), state: undefined });
  }

  put(): void {
    refuse("a write of another database or of a hash or set");
  }

  delete(): void {
    refuse("a write of another database or of a hash or set");
  }

  newGeneration(): Generation {
    return refuse("a new hash or set");
  }

  random(): number {
    return this.#random();
  }

  mayHaveTyped(db: number): boolean {
    return this.local.mayHaveTyped(db);
  }

  keyCount(): number {
    return refuse("a key count");
  }

  countKey(): void {
    refuse("a hash or set");
  }

  emit(event: RedisEvent): void {
    if (event.kind === "publish") refuse("PUBLISH");
    this.events++;
  }

  overBudget(): boolean {
    return false;
  }

  roomFor(): boolean {
    return true;
  }
}
