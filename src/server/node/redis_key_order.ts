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
import { compareBytes, toHex } from "../../util/bytes.ts";

interface Holders {
  /** The last request naming the key, until it settles. */
  last?: Promise<unknown>;
  /** The last run across regions naming it (or a request that waited for one). */
  across?: Promise<unknown>;
}

/** A request in flight that waited for nothing: its keys as given, found by a scan if asked. */
interface Plain {
  readonly keys: readonly Uint8Array[];
  readonly p: Promise<unknown>;
}

export class RedisKeyOrder {
  /** Keys of the runs across regions in flight and of the requests that waited for one. */
  readonly #keys = new Map<string, Holders>();
  /**
   * Every other request in flight. Nearly every write is one of these (runs across regions are
   * rare), so it costs a set entry, not a hex string and a map entry per key; a run across
   * regions scans them for its keys.
   */
  readonly #plain = new Set<Plain>();

  /** Keys and requests held (tests: 0 once everything settled). */
  get size(): number {
    return this.#keys.size + this.#plain.size;
  }

  /** Runs `start` in its turn among the requests naming `keys` (`across`: a run across regions). */
  run<T>(keys: readonly Uint8Array[], across: boolean, start: () => Promise<T>): Promise<T> {
    if (!across && this.#keys.size === 0) return this.#startPlain(keys, start);
    const hexes = [...new Set(keys.map(toHex))];
    const before = new Set<Promise<unknown>>();
    for (const hex of hexes) {
      const h = this.#keys.get(hex);
      const wait = across ? h?.last : h?.across;
      if (wait !== undefined) before.add(wait);
    }
    if (across) { for (const r of this.#plain) if (sharesKey(r.keys, keys)) before.add(r.p); }
    if (!across && before.size === 0) return this.#startPlain(keys, start);
    const p = before.size === 0 ? start() : Promise.allSettled([...before]).then(start);
    for (const hex of hexes) {
      let h = this.#keys.get(hex);
      if (h === undefined) this.#keys.set(hex, h = {});
      h.last = p;
      h.across = p;
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

  /** Starts a request that waits for nothing, held until it settles. */
  #startPlain<T>(keys: readonly Uint8Array[], start: () => Promise<T>): Promise<T> {
    const p = start();
    const r: Plain = { keys, p };
    this.#plain.add(r);
    const release = () => this.#plain.delete(r);
    p.then(release, release);
    return p;
  }
}

/** Whether the two lists name a key in common. */
function sharesKey(a: readonly Uint8Array[], b: readonly Uint8Array[]): boolean {
  for (const x of a) for (const y of b) if (compareBytes(x, y) === 0) return true;
  return false;
}
