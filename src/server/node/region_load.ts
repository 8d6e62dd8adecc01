/**
 * The write load of the regions this node leads, for the split by load (decision 0014 §8,
 * docs/regions.md "Split by load"): a region written faster than `--region-split-load` writes a
 * second splits at a key that halves its writes, so two leaders — placement spreads them over the
 * nodes — can take them, even while the region is far below the split size.
 *
 * Each write a leader routes to a region it leads counts once (a transaction across regions
 * counts in none: it is not a region's command). Counts are kept per window of
 * REGION_LOAD_WINDOW_MS; a region's rate is its last full window's, or the window in progress
 * once that is higher. Of each window's writes a uniform sample of at most
 * REGION_LOAD_SAMPLE_KEYS keys is kept (reservoir sampling with a seeded generator: a simulated
 * run stays reproducible), and the split key is the sample's median — only when both sides hold
 * at least REGION_LOAD_SIDE_MIN of it. A region whose writes go to one key (or a few at one end)
 * has none: a split would not spread them.
 */
import type { Clock } from "../../platform/types.ts";
import { compareBytes } from "../../util/bytes.ts";
import { type Prng, Sfc32 } from "../../util/prng.ts";
import type { RegionDescriptor } from "../../region/descriptor.ts";
import { containsKey } from "../../region/descriptor.ts";

/** How long one window of counted writes lasts (docs/limits.md). */
export const REGION_LOAD_WINDOW_MS = 10_000;
/** Keys of each window's writes a region keeps as its sample (docs/limits.md). */
export const REGION_LOAD_SAMPLE_KEYS = 256;
/** The least share of the sample each side of a split key must hold. */
export const REGION_LOAD_SIDE_MIN = 0.2;

interface Window {
  readonly startMs: number;
  count: number;
  readonly sample: Uint8Array[];
}

interface Load {
  /** When this node began counting the region (its leader since, or since its range changed). */
  readonly sinceMs: number;
  current: Window;
  /** The last full window, if it ended right before the current one began. */
  previous: Window | undefined;
}

export class RegionLoad {
  readonly #loads = new Map<number, Load>();
  readonly #prng: Prng;

  constructor(readonly clock: Clock, seed: number) {
    this.#prng = new Sfc32(seed);
  }

  /** A write to region `id` of `key`, proposed by this node as the region's leader. */
  record(id: number, key: Uint8Array): void {
    const load = this.#load(id);
    const w = load.current;
    w.count++;
    // A copy: the key may be a view into the request's buffer, a large value's among them.
    if (w.sample.length < REGION_LOAD_SAMPLE_KEYS) w.sample.push(key.slice());
    else {
      const at = this.#prng.int(w.count);
      if (at < REGION_LOAD_SAMPLE_KEYS) w.sample[at] = key.slice();
    }
  }

  /** Region `id`'s writes per second (0 when none were recorded lately). */
  rate(id: number): number {
    const load = this.#loads.get(id);
    if (load === undefined) return 0;
    this.#roll(load);
    const counts = Math.max(load.previous?.count ?? 0, load.current.count);
    return counts * 1000 / REGION_LOAD_WINDOW_MS;
  }

  /**
   * A key that halves region `r`'s sampled writes, strictly inside its range; undefined when the
   * sample is too small or lopsided for a split to spread them.
   */
  splitKey(r: RegionDescriptor): Uint8Array | undefined {
    const load = this.#loads.get(r.id);
    if (load === undefined) return undefined;
    this.#roll(load);
    const full = load.previous?.sample ?? [];
    const keys = (load.current.sample.length >= full.length ? load.current.sample : full)
      .filter((k) => containsKey(r, k))
      .sort(compareBytes);
    if (keys.length < 2) return undefined;
    const middle = keys[Math.floor(keys.length / 2)];
    if (compareBytes(middle, r.start) <= 0) return undefined;
    const left = keys.findIndex((k) => compareBytes(k, middle) >= 0);
    const least = Math.ceil(keys.length * REGION_LOAD_SIDE_MIN);
    return left >= least && keys.length - left >= least ? middle : undefined;
  }

  /** This node leads region `id` now (the split check says so each pass): it counts from now. */
  leading(id: number): void {
    this.#load(id);
  }

  /**
   * Whether region `id` may be hot by `splitLoad`: its writes unknown here (this node has not
   * counted it through a whole window: a leadership just handed over to merge it, a range just
   * changed), or written at a quarter of `splitLoad` or more.
   */
  busy(id: number, splitLoad: number): boolean {
    const load = this.#loads.get(id);
    if (load === undefined || this.clock.nowMs() - load.sinceMs < REGION_LOAD_WINDOW_MS) {
      return true;
    }
    return this.rate(id) >= splitLoad / 4;
  }

  /** Region `id` split, merged or left: its counts describe another range now. */
  forget(id: number): void {
    this.#loads.delete(id);
  }

  #load(id: number): Load {
    let load = this.#loads.get(id);
    if (load === undefined) {
      const now = this.clock.nowMs();
      load = { sinceMs: now, current: this.#window(now), previous: undefined };
      this.#loads.set(id, load);
    }
    this.#roll(load);
    return load;
  }

  /** Starts the next window once the current one is over (a gap of a whole window: none kept). */
  #roll(load: Load): void {
    const now = this.clock.nowMs();
    const elapsed = now - load.current.startMs;
    if (elapsed < REGION_LOAD_WINDOW_MS) return;
    load.previous = elapsed < 2 * REGION_LOAD_WINDOW_MS ? load.current : undefined;
    load.current = this.#window(now);
  }

  #window(startMs: number): Window {
    return { startMs, count: 0, sample: [] };
  }
}
