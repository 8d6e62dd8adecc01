/**
 * Cache of decoded blocks, bounded in bytes (docs/style.md §2.14), evicting in
 * CLOCK order (FIFO with a second chance for blocks hit since their last
 * pass: close to LRU, with no list update on a hit). Each table
 * reader owns a small map offset → entry; this cache owns the recency order
 * and the byte budget, and evicts by deleting from the owner's map, so keys
 * can never collide across files.
 */
import { assert } from "../../util/assert.ts";
import type { Block } from "../sstable/block.ts";

export interface CacheEntry {
  readonly block: Block;
  /** Set on a hit; eviction gives such an entry a second chance (CLOCK, cheaper than LRU). */
  visited: boolean;
  readonly charge: number;
  readonly owner: Map<number, CacheEntry>;
  readonly offset: number;
}

export class BlockCache {
  readonly #lru = new Set<CacheEntry>();
  #bytes = 0;
  hits = 0;
  misses = 0;

  constructor(readonly capacityBytes: number) {
    assert(Number.isSafeInteger(capacityBytes) && capacityBytes >= 0, "block cache capacity");
  }

  get bytes(): number {
    return this.#bytes;
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
    const e: CacheEntry = { block, charge, owner, offset, visited: false };
    owner.set(offset, e);
    this.#lru.add(e);
    this.#bytes += charge;
    while (this.#bytes > this.capacityBytes) {
      const oldest = this.#lru.values().next();
      if (oldest.done) break;
      const o = oldest.value;
      if (o.visited) {
        o.visited = false; // second chance: move to the young end
        this.#lru.delete(o);
        this.#lru.add(o);
      } else this.#remove(o);
    }
  }

  #remove(e: CacheEntry): void {
    this.#lru.delete(e);
    e.owner.delete(e.offset);
    this.#bytes -= e.charge;
  }

  /** Drops every entry of one table (its file was deleted or closed). */
  forget(owner: Map<number, CacheEntry>): void {
    for (const e of [...owner.values()]) this.#remove(e);
  }
}
