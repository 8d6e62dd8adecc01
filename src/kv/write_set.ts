/**
 * The engine writes of one apply pass, gathered before one atomic engine
 * write. Reads go through it, so an entry sees the effects of the entries
 * applied before it in the same pass (an INCR after a SET, two CAS in a row).
 */
import type { WriteOp } from "../storage/db.ts";
import { compareBytes } from "../util/bytes.ts";
import { Namespace } from "./keyspace.ts";
import { REGION_KIND_AT, type RegionKeys, regionKeys, RegionKind } from "./region_keys.ts";
import { inSpanFrom, type KeySpan } from "./snapshot_ranges.ts";
import type { RecordBytes } from "./key_record.ts";
import { heldBytes, type HeldWrite, joined, opOf } from "./held_write.ts";

/** A write an apply makes besides a command's: a put, or a delete when `value` is null. */
export interface EngineWrite {
  readonly key: Uint8Array;
  readonly value: Uint8Array | null;
}

export interface EngineReader {
  get(key: Uint8Array): Uint8Array | undefined;
  /** `keysOnly`: the values may be handed out empty (the engine's ScanOptions.keysOnly). */
  scanSync(
    o: { start: Uint8Array; end: Uint8Array; keysOnly?: boolean },
  ): Iterable<[Uint8Array, Uint8Array]>;
}

/**
 * Map key for bytes: one UTF-16 code unit per byte (cheap, exact, ordered like
 * bytes). Short keys (the common case) are copied into a plain array for one
 * `fromCharCode` call (a string grown by a code unit at a time cost 1.5× that in
 * Bun and 2× in Deno); longer ones use `apply` over chunks. Spreading a typed
 * array goes through the iterator protocol and cost ~5x more.
 */
export function mapKey(bytes: Uint8Array): string {
  const n = bytes.length;
  if (n <= 32) {
    const codes = new Array<number>(n);
    for (let i = 0; i < n; i++) codes[i] = bytes[i];
    return String.fromCharCode.apply(null, codes);
  }
  let s = "";
  for (let i = 0; i < n; i += 8192) {
    s += String.fromCharCode.apply(null, bytes.subarray(i, i + 8192) as unknown as number[]);
  }
  return s;
}

/** Set by a read through a chain of sets: the key was among some set's pending writes. */
let foundPending = false;

export class WriteSet {
  /**
   * The final write of each key; for a user key, also whether it had a value
   * before this set first wrote it (`before`), so merging a staged set into
   * its parent needs no second lookup.
   */
  readonly #pending = new Map<string, HeldWrite & { before?: boolean }>();
  /**
   * Writes of keys new to this pass, each written once (a history record, the key index entry
   * of a key's first change at a revision): they skip the map, and `ops` hands them out before
   * the map's, so a later write of one wins. Only `scan` and `ops` see them: nothing reads such
   * a key back by point in its pass.
   */
  #fresh: HeldWrite[] = [];
  /**
   * Once a map write may replace a fresh one (`replaceFresh`: a key changed twice at one
   * revision), the fresh writes' map keys, and how many of them the map holds too (`#overlap`):
   * `ops` and `scan` leave those out, and `size` stays exact without a pass over the writes.
   */
  #freshIds: Set<string> | undefined;
  #overlap = 0;
  #bytes = 0;
  /** Whether a write changes the region's expiry indexes (counted in `region.expiryWrites`). */
  #expiry = false;
  /**
   * Whether the last `get` found the key among the pending writes of this set or of a set
   * under it (false: it came from the engine, so the pass has not written the key).
   */
  lastGetPending = false;
  /**
   * Counts the writes made through this set: a reader that remembers what it read (the
   * RevisionWriter's last record) knows it is still what the set holds while this stays.
   */
  writes = 0;

  constructor(
    readonly engine: EngineReader,
    /** The region whose local keys (history, expiry, sessions, ...) the writers build. */
    readonly region: RegionKeys = engine instanceof WriteSet ? engine.region : regionKeys(),
    /**
     * The user keys the region owns: only theirs count in `keysDelta`. A region's command can
     * still delete a key another region owns now (a lease revoked in region 1 deletes every key
     * attached to it, some attached before a split moved them): that key is the other region's
     * to count (docs/regions.md "The node holding many regions").
     */
    readonly span: KeySpan | undefined = engine instanceof WriteSet ? engine.span : undefined,
  ) {}

  get(key: Uint8Array): Uint8Array | undefined {
    return this.getById(mapKey(key), key);
  }

  /** `get` with the key's map key (`mapKey(key)`) already made; sets `lastGetPending`. */
  getById(id: string, key: Uint8Array): Uint8Array | undefined {
    foundPending = false;
    const v = this.#get(id, key);
    this.lastGetPending = foundPending;
    return v;
  }

  /** A staged set reads through its parent with the map key it already made. */
  #get(id: string, key: Uint8Array): Uint8Array | undefined {
    const p = this.#pending.get(id);
    if (p !== undefined) {
      foundPending = true;
      return joined(p) ?? undefined;
    }
    const e = this.engine;
    return e instanceof WriteSet ? e.#get(id, key) : e.get(key);
  }

  /** Net change in the number of user keys (data namespace) made through this set. */
  keysDelta = 0;

  /**
   * `existed`: whether the key has a value now, when the caller just read it
   * (saves a second engine lookup for the key count).
   */
  put(key: Uint8Array, value: RecordBytes, existed?: boolean, id?: string): void {
    this.#write(key, value, existed, id);
    this.#bytes += key.length + heldBytes(value);
  }

  /**
   * Puts a key that no write of this pass holds and that nothing writes again in the pass but
   * through `replaceFresh` (the caller knows: a history record's revision and number are new).
   * Not a user key (the key count is not touched), and not visible to `get`. An engine entry of
   * the key is replaced as by any put.
   */
  putFresh(key: Uint8Array, value: RecordBytes): void {
    this.writes++;
    this.#addFresh({ key, value });
  }

  #addFresh(w: HeldWrite): void {
    this.#fresh.push(w);
    this.#bytes += w.key.length + heldBytes(w.value);
    const ids = this.#freshIds;
    if (ids === undefined) return;
    const id = mapKey(w.key);
    ids.add(id);
    if (this.#pending.has(id)) this.#overlap++;
  }

  /** A put of a key that a fresh write of this pass may hold already: this one wins. */
  replaceFresh(key: Uint8Array, value: RecordBytes): void {
    this.#trackFresh();
    this.put(key, value);
  }

  /** From now on, knows which fresh writes the map replaced (once per set that needs it). */
  #trackFresh(): void {
    if (this.#freshIds !== undefined) return;
    const ids = this.#freshIds = new Set();
    for (const w of this.#fresh) {
      const id = mapKey(w.key);
      ids.add(id);
      if (this.#pending.has(id)) this.#overlap++;
    }
  }

  /** The fresh writes no map write replaced. */
  #freshLive(): HeldWrite[] {
    if (this.#overlap === 0) return this.#fresh;
    return this.#fresh.filter((w) => !this.#pending.has(mapKey(w.key)));
  }

  /** `existed`: as for put, whether the key has a value now, when the caller knows. */
  delete(key: Uint8Array, existed?: boolean): void {
    this.#write(key, null, existed);
    this.#bytes += key.length;
  }

  #write(
    key: Uint8Array,
    value: RecordBytes | null,
    existed: boolean | undefined,
    id = mapKey(key),
  ): void {
    this.writes++;
    if (key[0] !== Namespace.Data) {
      const kind = key[REGION_KIND_AT];
      if (kind === RegionKind.Expiry || kind === RegionKind.RedisExpiry) this.#expiry = true;
      const ids = this.#freshIds;
      if (ids !== undefined && ids.has(id) && !this.#pending.has(id)) this.#overlap++;
      this.#pending.set(id, { key, value });
      return;
    }
    const had = existed ?? this.#get(id, key) !== undefined;
    const counted = this.span === undefined || inSpanFrom(this.span, key, 1);
    if (value === null && had && counted) this.keysDelta--;
    if (value !== null && !had && counted) this.keysDelta++;
    const before = this.#pending.get(id)?.before ?? had;
    this.#pending.set(id, { key, value, before });
  }

  /**
   * Entries with keys in [start, end), in key order, as the engine will hold
   * them after this set is written: the pending writes merged over the engine.
   * Costs a pass over the pending writes (bounded by APPLY_BATCH_OPS_MAX).
   */
  *scan(start: Uint8Array, end: Uint8Array): Generator<[Uint8Array, Uint8Array]> {
    const pending = [...this.#freshLive(), ...this.#pending.values()]
      .filter((p) => compareBytes(p.key, start) >= 0 && compareBytes(p.key, end) < 0)
      .sort((a, b) => compareBytes(a.key, b.key)) // stable: a fresh write before the map's
      .filter((p, i, all) => i + 1 === all.length || compareBytes(p.key, all[i + 1].key) !== 0);
    let i = 0;
    for (const [key, value] of this.engine.scanSync({ start, end })) {
      while (i < pending.length && compareBytes(pending[i].key, key) < 0) {
        const p = pending[i++];
        if (p.value !== null) yield [p.key, joined(p) as Uint8Array];
      }
      if (i < pending.length && compareBytes(pending[i].key, key) === 0) {
        const p = pending[i++];
        if (p.value !== null) yield [p.key, joined(p) as Uint8Array];
        continue;
      }
      yield [key, value];
    }
    for (; i < pending.length; i++) {
      const p = pending[i];
      if (p.value !== null) yield [p.key, joined(p) as Uint8Array];
    }
  }

  /** The same as `scan`, shaped as an EngineReader's: a staged set reads through this one. */
  scanSync(o: { start: Uint8Array; end: Uint8Array }): Iterable<[Uint8Array, Uint8Array]> {
    return this.scan(o.start, o.end);
  }

  /** Writes every operation of this set into `into` (a staged set's changes, accepted). */
  mergeInto(into: WriteSet): void {
    // As put and delete would, reusing each key's map key (a batch merges one set per request).
    if (this.#freshIds !== undefined) into.#trackFresh();
    for (const w of this.#fresh) into.#addFresh(w);
    into.writes++;
    for (const [id, { key, value, before }] of this.#pending) {
      into.#write(key, value, before, id);
      into.#bytes += key.length + heldBytes(value);
    }
  }

  /** Distinct keys written. */
  get size(): number {
    return this.#pending.size + this.#fresh.length - this.#overlap;
  }

  /** Upper bound of the bytes the final operations carry. */
  get bytes(): number {
    return this.#bytes;
  }

  clear(): void {
    if (this.#expiry) this.region.expiryWrites++;
    this.#expiry = false;
    this.#pending.clear();
    this.#fresh = [];
    this.#freshIds = undefined;
    this.#overlap = 0;
    this.#bytes = 0;
    this.keysDelta = 0;
    this.writes++;
  }

  /** The final operations, one per key (the last write to a key wins). */
  ops(): WriteOp[] {
    const ops: WriteOp[] = [];
    for (const w of this.#freshLive()) ops.push(opOf(w));
    for (const w of this.#pending.values()) ops.push(opOf(w));
    return ops;
  }
}
