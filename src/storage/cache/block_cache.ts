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
 */
import { assert } from "../../util/assert.ts";
import type { Block } from "../sstable/block.ts";

export interface CacheEntry {
  readonly block: Block;
  /** Set on a hit; eviction gives such an entry a second chance (CLOCK, cheaper than LRU). */
  visited: boolean;
  /** Set once the entry left the cache; its slot in the queue is skipped. */
  dead: boolean;
  readonly charge: number;
  readonly owner: Map<number, CacheEntry>;
  readonly offset: number;
}

export class BlockCache {
  /** Entries oldest first from `#head`; slots before it are free. */
  #queue: (CacheEntry | undefined)[] = [];
  #head = 0;
  #live = 0;
  #bytes = 0;
  hits = 0;
  misses = 0;

  constructor(readonly capacityBytes: number) {
    assert(Number.isSafeInteger(capacityBytes) && capacityBytes >= 0, "block cache capacity");
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Blocks held. */
  get count(): number {
    return this.#live;
  }

  lookup(owner: Map<number, CacheEntry>, offset: number): Block | undefined {
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
  insert(owner: Map<number, CacheEntry>, offset: number, block: Block): void {
    const charge = block.data.length + 64;
    if (charge * 4 > this.capacityBytes) return;
    const e: CacheEntry = { block, charge, owner, offset, visited: false, dead: false };
    owner.set(offset, e);
    this.#queue.push(e);
    this.#live++;
    this.#bytes += charge;
    while (this.#bytes > this.capacityBytes && this.#head < this.#queue.length) {
      const o = this.#queue[this.#head];
      this.#queue[this.#head++] = undefined;
      if (o === undefined || o.dead) continue;
      if (o.visited) {
        o.visited = false; // second chance: move to the young end
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
    const kept: (CacheEntry | undefined)[] = [];
    for (let i = this.#head; i < q.length; i++) {
      const e = q[i];
      if (e !== undefined && !e.dead) kept.push(e);
    }
    this.#queue = kept;
    this.#head = 0;
  }

  #remove(e: CacheEntry): void {
    e.dead = true;
    e.owner.delete(e.offset);
    this.#bytes -= e.charge;
    this.#live--;
  }

  /** Drops every entry of one table (its file was deleted or closed). */
  forget(owner: Map<number, CacheEntry>): void {
    for (const e of [...owner.values()]) this.#remove(e);
    // Dead slots are skipped by eviction; a queue that mostly holds dead slots is rebuilt.
    if (this.#queue.length - this.#head > 2 * this.#live + 1024) this.#rebuild();
  }
}
