/**
 * Received snapshots installed beside the driver's rounds (docs/raft.md "Multi-region driver").
 *
 * A region's image goes into its state machine before the snapshot's marker is saved (the
 * driver contract), and a region image of tens of MB takes seconds to install. Installed inside
 * a round, it stopped every region of the node for that long: no heartbeat left the node's
 * leaders and no acknowledgement its followers, so its peers and placement read the node as
 * down (regions changed leader, moves were dropped and made again). So a Ready that carries a
 * snapshot is held back here instead: its image is installed in the background while the other
 * regions' rounds go on, and the held Ready runs in a later round once the image is in (its
 * marker saved then, its messages sent then: the leader hears of the snapshot only when it is
 * durable). Meanwhile the region takes peer messages as usual (the core accepts steps between
 * `ready` and `advance`, as with any Ready in flight), but gives no Ready of its own.
 *
 * An install that fails for space is tried again after a backoff (decision 0005: a full disk is
 * retried), not the driver's end: the placement group's image file, written when its snapshot is
 * installed, stopped a rejoining node for good on a full disk (the simulator's regions seed 520).
 */
import { DISK_RETRY_MS_MAX, DISK_RETRY_MS_MIN } from "../../limits.ts";
import type { Clock } from "../../platform/types.ts";
import { assert } from "../../util/assert.ts";
import { NoSpaceError } from "../../util/errors.ts";
import type { Snapshot } from "../core/messages.ts";
import type { Ready } from "../core/ready.ts";
import type { RegionReplica } from "./region_replica.ts";

interface Held {
  readonly ready: Ready;
  /** Settles (never rejects) once the image is in or its install failed. */
  readonly settled: Promise<void>;
  restored: boolean;
  /** The region was removed meanwhile: an install waiting for space gives up. */
  forgotten: boolean;
}

export class RestoringRegions {
  readonly #held = new Map<number, Held>();
  /** Held Readys handed back (their image is in): they run as they are. */
  readonly #handedBack = new WeakSet<Ready>();
  /** The first install that failed: the driver halts on it, as on a failed apply. */
  #failure: { readonly err: unknown } | undefined = undefined;

  /** `clock`: for the backoff of an install that found the disk full (absent: not retried). */
  constructor(readonly clock?: Clock) {}

  /** Regions whose held Ready waits for its image. */
  get size(): number {
    return this.#held.size;
  }

  /** Whether region `id` holds a Ready back (it gives no other until that one ran). */
  has(id: number): boolean {
    return this.#held.has(id);
  }

  /** Whether any of `readys` carries a snapshot whose image is not installed yet. */
  wanted(readys: ReadonlyMap<number, Ready>): boolean {
    for (const rd of readys.values()) {
      if (rd.snapshot !== undefined && !this.#handedBack.has(rd)) return true;
    }
    return false;
  }

  /**
   * Takes the Readys carrying a snapshot out of `readys` and starts installing their images
   * (the driver drained its applies first: the region's earlier entries are in). `done` runs
   * when an install settles (the driver runs a round).
   */
  hold(
    readys: Map<number, Ready>,
    region: (id: number) => RegionReplica | undefined,
    done: () => void,
  ): void {
    for (const [id, rd] of readys) {
      const snapshot = rd.snapshot;
      const r = region(id);
      if (snapshot === undefined || r === undefined || this.#handedBack.has(rd)) continue;
      assert(!this.#held.has(id), `r${id}: a second Ready while one is held`);
      readys.delete(id);
      const held: Held = {
        ready: rd,
        restored: false,
        forgotten: false,
        settled: this.#install(r, snapshot, () => held.forgotten).then(
          () => {
            held.restored = true;
          },
          (err: unknown) => {
            if (!held.forgotten) this.#failure ??= { err };
          },
        ).finally(done),
      };
      this.#held.set(id, held);
    }
  }

  /**
   * The Readys of the `dirty` regions (a region nothing happened to is not even asked), and the
   * held ones whose image is in, handed back to run; clears `dirty`. A held region gives no
   * other Ready: the advance of its held one marks it dirty again. Throws an install's failure.
   */
  collect(dirty: Set<number>, regions: ReadonlyMap<number, RegionReplica>): Map<number, Ready> {
    if (this.#failure !== undefined) throw this.#failure.err;
    const readys = new Map<number, Ready>();
    for (const id of dirty) {
      if (this.#held.has(id)) continue;
      const rn = regions.get(id)?.rawNode;
      if (rn?.hasReady()) readys.set(id, rn.ready());
    }
    dirty.clear();
    for (const [id, h] of this.#held) {
      if (!h.restored) continue;
      this.#held.delete(id);
      this.#handedBack.add(h.ready);
      readys.set(id, h.ready);
    }
    return readys;
  }

  /** Installs `snapshot`'s image into `r`, again after a backoff while the disk is full. */
  async #install(r: RegionReplica, snapshot: Snapshot, forgotten: () => boolean): Promise<void> {
    for (let delayMs = DISK_RETRY_MS_MIN;; delayMs = Math.min(2 * delayMs, DISK_RETRY_MS_MAX)) {
      try {
        return await r.restore(snapshot);
      } catch (err) {
        const clock = this.clock;
        if (!(err instanceof NoSpaceError) || clock === undefined || forgotten()) throw err;
        await new Promise<void>((resolve) => clock.setTimeout(resolve, delayMs));
        if (forgotten()) throw err;
      }
    }
  }

  /** Waits for region `id`'s install, if any, and forgets its held Ready (it is removed). */
  async forget(id: number): Promise<void> {
    const h = this.#held.get(id);
    if (h === undefined) return;
    h.forgotten = true;
    await h.settled;
    this.#held.delete(id);
  }
}
