/**
 * Keeps Redis requests in the order they reached the node where a transaction across regions is
 * among them (region_router.ts). An ordinary request is proposed at once, so requests of one
 * region enter its log in arrival order. A run across regions (cross_region_redis.ts) first
 * takes a timestamp and reads, so without this a write of one of its keys that arrived after it
 * — the next command of the same pipeline, which the RESP port may send before the first is
 * answered — could land first and be overwritten by it; and one that arrived just before it
 * could still be waiting for its own timestamp when the run reads (a RENAME after a SET of its
 * source found no key). So a run across regions starts once every request before it naming one
 * of its keys is settled, and a request naming a key of such a run still in flight starts once
 * that run is settled. Requests of one region with no such run before them start at once.
 */
import { toHex } from "../../util/bytes.ts";

interface Holders {
  /** The last request naming the key, until it settles. */
  last?: Promise<unknown>;
  /** The last run across regions naming it (or a request that waited for one). */
  across?: Promise<unknown>;
}

export class RedisKeyOrder {
  readonly #keys = new Map<string, Holders>();

  /** Keys named by requests in flight (tests). */
  get size(): number {
    return this.#keys.size;
  }

  /** Runs `start` in its turn among the requests naming `keys` (`across`: a run across regions). */
  run<T>(keys: readonly Uint8Array[], across: boolean, start: () => Promise<T>): Promise<T> {
    const hexes = [...new Set(keys.map(toHex))];
    const before = new Set<Promise<unknown>>();
    for (const hex of hexes) {
      const h = this.#keys.get(hex);
      const wait = across ? h?.last : h?.across;
      if (wait !== undefined) before.add(wait);
    }
    const p = before.size === 0 ? start() : Promise.allSettled([...before]).then(start);
    const ordered = across || before.size > 0;
    for (const hex of hexes) {
      let h = this.#keys.get(hex);
      if (h === undefined) this.#keys.set(hex, h = {});
      h.last = p;
      if (ordered) h.across = p;
    }
    const release = () => {
      for (const hex of hexes) {
        const h = this.#keys.get(hex);
        if (h === undefined) continue;
        if (h.last === p) h.last = undefined;
        if (h.across === p) h.across = undefined;
        if (h.last === undefined && h.across === undefined) this.#keys.delete(hex);
      }
    };
    p.then(release, release);
    return p;
  }
}
