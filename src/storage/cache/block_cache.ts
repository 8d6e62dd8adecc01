/**
 * Cache of decoded blocks, bounded in bytes (docs/style.md §2.14), evicting in
 * CLOCK order (FIFO with a second chance for blocks hit since their last
 * pass: close to LRU, with no list update on a hit). Each table
 * reader owns a small map offset → entry; this cache owns the recency order
 * and the byte budget, and evicts by deleting from the owner's map, so keys
 * can never collide across files.
 *
 * The order is a ring of entries in a plain array with a hand, not a `Set`: a `Set` used
 * as a FIFO keeps its deleted slots at the front until it rehashes, and finding the
 * oldest entry walked over all of them (13 % of a point get on a store 17× the cache,
 * bench/RESULTS.md "Growth reads"). Removed entries are marked dead and skipped.
 *
 * Admission: once the cache is full, a point read's block is admitted on its second miss
 * within a recent window (a direct-mapped table of recently missed blocks, one slot per block
 * the cache holds, 8 bytes each). Reads spread over a store many times the cache (a grown node
 * under uniform random gets) then read most blocks into a reused buffer instead of allocating,
 * inserting and evicting one block per get; a block read again soon is cached as before.
 */
import { assert } from "../../util/assert.ts";
import type { Block } from "../sstable/block.ts";

/** What the cache holds: a table's block, or a value read from a blob file. */
export interface Cacheable {
  readonly data: Uint8Array;
}

export interface CacheEntry<T extends Cacheable = Block> {
  readonly block: T;
  /** Set on a hit; eviction gives such an entry a second chance (CLOCK, cheaper than LRU). */
  visited: boolean;
  /** Set once the entry left the cache; its slot in the queue is skipped. */
  dead: boolean;
  readonly charge: number;
  readonly owner: Map<number, CacheEntry<T>>;
  readonly offset: number;
}

/** Owner ids wrap at 2^21 so that id × 2^32 + offset stays exact; a clash only admits early. */
const OWNER_IDS = 1 << 21;
let lastOwnerId = 0;
/** A number naming one table reader's blocks in the admission window. */
export function newOwnerId(): number {
  lastOwnerId = (lastOwnerId % (OWNER_IDS - 1)) + 1;
  return lastOwnerId;
}

/** Bytes of an average block, to size the admission window (4 KiB blocks, plus entry cost). */
const TYPICAL_BLOCK_CHARGE = 4096;

export class BlockCache {
  /** Entries oldest first from `#head`; slots before it are free. */
  #queue: (CacheEntry<Cacheable> | undefined)[] = [];
  #head = 0;
  #live = 0;
  #bytes = 0;
  hits = 0;
  misses = 0;

  /** Recently missed blocks (owner id × 2^32 + offset per slot; 0 = empty). */
  readonly #missed: Float64Array;

  constructor(readonly capacityBytes: number) {
    assert(Number.isSafeInteger(capacityBytes) && capacityBytes >= 0, "block cache capacity");
    let slots = 1024;
    while (slots * TYPICAL_BLOCK_CHARGE < capacityBytes && slots < 1 << 20) slots *= 2;
    this.#missed = new Float64Array(slots);
  }

  /**
   * Whether a point read that missed block (`ownerId`, `offset`) should insert it: always
   * while the cache has room, else only when the same block missed recently as well.
   */
  admit(ownerId: number, offset: number): boolean {
    if (this.#bytes + TYPICAL_BLOCK_CHARGE <= this.capacityBytes) return true;
    const key = ownerId * 0x1_0000_0000 + offset;
    const m = this.#missed;
    const slot = (Math.imul(ownerId, 0x9e3779b1) ^ Math.imul(offset, 0x85ebca6b)) >>> 0;
    const i = (slot >>> 12) & (m.length - 1);
    if (m[i] === key) {
      m[i] = 0;
      return true;
    }
    m[i] = key;
    return false;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Blocks held. */
  get count(): number {
    return this.#live;
  }

  lookup<T extends Cacheable>(owner: Map<number, CacheEntry<T>>, offset: number): T | undefined {
    const e = owner.get(offset);
    if (e === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    e.visited = true;
    return e.block;
  }

  /** Caches `block` unless it is larger than a quarter of the capacity. */
  insert<T extends Cacheable>(owner: Map<number, CacheEntry<T>>, offset: number, block: T): void {
    const charge = block.data.length + 64;
    if (charge * 4 > this.capacityBytes) return;
    const e: CacheEntry<T> = { block, charge, owner, offset, visited: false, dead: false };
    owner.set(offset, e);
    this.#queue.push(e);
    this.#live++;
    this.#bytes += charge;
    while (this.#bytes > this.capacityBytes && this.#head < this.#queue.length) {
      const o = this.#queue[this.#head];
      this.#queue[this.#head++] = undefined;
      if (o === undefined || o.dead) continue;
      if (o.visited || o === e) {
        // Second chance: to the young end. The new block itself is never its own victim
        // (when every older block was visited, the hand reaches it before them).
        o.visited = false;
        this.#queue.push(o);
      } else this.#remove(o);
    }
    this.#compact();
  }

  /** Drops the free front of the queue once it is most of the array (amortized O(1)). */
  #compact(): void {
    if (this.#head >= 1024 && this.#head * 2 >= this.#queue.length) this.#rebuild();
  }

  /** The queue without its free front and dead slots, order kept. */
  #rebuild(): void {
    const q = this.#queue;
    const kept: (CacheEntry<Cacheable> | undefined)[] = [];
    for (let i = this.#head; i < q.length; i++) {
      const e = q[i];
      if (e !== undefined && !e.dead) kept.push(e);
    }
    this.#queue = kept;
    this.#head = 0;
  }

  #remove(e: CacheEntry<Cacheable>): void {
    e.dead = true;
    e.owner.delete(e.offset);
    this.#bytes -= e.charge;
    this.#live--;
  }

  /** Drops every entry of one table or blob file (its file was deleted or closed). */
  forget<T extends Cacheable>(owner: Map<number, CacheEntry<T>>): void {
    for (const e of [...owner.values()]) this.#remove(e);
    // Dead slots are skipped by eviction; a queue that mostly holds dead slots is rebuilt.
    if (this.#queue.length - this.#head > 2 * this.#live + 1024) this.#rebuild();
  }
}
