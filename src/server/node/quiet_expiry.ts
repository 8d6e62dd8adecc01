/**
 * A region's due keys for its expiry sweep, without an engine read while none can be due: once a
 * read found nothing due, the region is not read again until its soonest expiry comes, unless a
 * batch written since changed its expiry indexes (`RegionKeys.expiryWrites`, counted once the
 * batch is in the engine) or the state it was read from was replaced (an image or a snapshot
 * swaps the state machine, `owner`). An idle region, or one written only without expiry, then
 * costs a sweep nothing: reading two empty index ranges seeks every memtable and table.
 */
import { type DueKeys, dueKeys, soonestExpiryMs } from "../../kv/expiry_index.ts";
import type { RegionKeys } from "../../kv/region_keys.ts";
import type { EngineHolder } from "./engine_holder.ts";

const NONE_DUE: DueKeys = { keys: [], redisKeys: [] };

export class QuietExpiry {
  #owner: object | undefined;
  #writes = 0;
  #until = 0;

  /**
   * Up to `max` keys of `region` due at `nowMs`, read through `engine` (so a swap cannot tear
   * the read) unless nothing can be due. `owner` is the state the region's records belong to.
   */
  async dueKeys(
    engine: EngineHolder,
    owner: object,
    region: RegionKeys,
    nowMs: number,
    max: number,
  ): Promise<DueKeys> {
    // Taken before the reads: a write landing during them moves it, and the next sweep reads.
    const writes = region.expiryWrites;
    const unchanged = this.#owner === owner && this.#writes === writes;
    if (unchanged && nowMs < this.#until) return NONE_DUE;
    this.#owner = undefined;
    const due = await engine.read(() => dueKeys(engine.db, nowMs, max, region));
    if (due.keys.length + due.redisKeys.length > 0) return due;
    this.#until = await engine.read(() => soonestExpiryMs(engine.db, region));
    this.#owner = owner;
    this.#writes = writes;
    return due;
  }
}
