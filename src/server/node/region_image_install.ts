/**
 * Region images installed on a node's shared engine without holding the node up
 * (docs/regions.md "Region snapshots"). A region image of tens of MB takes seconds to verify and
 * write; run as one task on the engine's lock it kept every other region's applies waiting that
 * long (and before that, inside a driver round, their Raft traffic too: src/raft/multi/
 * restoring.ts), so under load a node that received an image read as down to its peers and to
 * placement. The clearing of a replica that left the node (region_removal.ts) was the same: one
 * task on the lock, inside the driver's loop. Here:
 *
 * - installs and clearings run one at a time (a node-wide queue), so two never write overlapping
 *   ranges, each install's overlap check sees the descriptors the job before it wrote, and an
 *   image of a region whose old replica is still being cleared installs after the clearing;
 * - every bounded step of one (region_snapshot_import.ts: a batch of deletes or of records, the
 *   marker, the last batch) runs on the engine's lock, and a timer turn follows it, so other
 *   regions' applies, socket reads and the driver's ticks run between steps;
 * - the image is read in MULTI_SNAPSHOT_CHUNK_BYTES slices, with a timer turn between two once
 *   IMAGE_READ_TURN_MS passed since the last (it is read three times: its head, its
 *   verification, its records);
 * - while region `id` installs, `installing(id)` is true: the host keeps a merge from reading or
 *   writing its state meanwhile (region_host.ts), and its own entries wait in the driver;
 * - a job the disk has no space for is started over after a backoff (DISK_RETRY_MS_MIN doubling
 *   to DISK_RETRY_MS_MAX), as the driver retries a save (decisions/0005): the node keeps running
 *   and the region stays busy. An import or a clearing starts from scratch every time (the
 *   import's marker, and deletes of what is gone, make that safe); before, the failure stopped
 *   the node's driver.
 */
import type { RegionDescriptor } from "../../region/descriptor.ts";
import { yieldingAbsorbed } from "./region_image_screen.ts";
import type { ConfState } from "../../raft/core/messages.ts";
import { importRegionSnapshot } from "../../kv/region_snapshot_import.ts";
import type { BatchStep } from "../../kv/region_range_clear.ts";
import { DISK_RETRY_MS_MAX, DISK_RETRY_MS_MIN } from "../../limits.ts";
import { IMAGE_READ_TURN_MS } from "../../limits_ops.ts";
import type { Clock } from "../../platform/types.ts";
import { ImageOverlapError, NoSpaceError } from "../../util/errors.ts";
import type { Db } from "../../storage/db.ts";
import type { EngineHolder } from "./engine_holder.ts";
import { type ImageHead, imageHead, pacedSlices } from "./region_snapshots.ts";

/** What runs once the image is in, on the engine's lock: reopening the region's state machine. */
export type AfterInstall<T> = (db: Db, index: number, descriptor: RegionDescriptor) => Promise<T>;

export class RegionImageInstaller {
  #queue: Promise<unknown> = Promise.resolve();
  /** Jobs queued or running per region (an install, a removed replica's clearing). */
  readonly #busy = new Map<number, number>();
  /**
   * Images installed, removed replicas cleared, steps run on the engine's lock, and jobs started
   * over for lack of space.
   */
  readonly counts = { installed: 0, cleared: 0, steps: 0, diskRetries: 0, overlapRetries: 0 };

  constructor(readonly engine: () => EngineHolder, readonly clock: Clock) {}

  /** Whether region `id`'s ranges are being written: an image installing, or its clearing. */
  installing(id: number): boolean {
    return this.#busy.has(id);
  }

  /**
   * Installs `image` as region `id`'s state, after the jobs queued before it. An image that
   * overlaps another local region (checked before anything is written) is queued again after a
   * backoff, behind the jobs queued meanwhile (the clearing of the region in its way among them),
   * until that region has caught up or left: the queue's order once let an image past the screen
   * (region_creation.ts) that an install queued before it then made overlap, and the refusal
   * stopped the node (the operators node test in a whole-tree run).
   */
  async install<T>(
    id: number,
    image: Uint8Array,
    after: AfterInstall<T>,
    /** The snapshot's configuration: region 1's descriptor when its image has none (imageHead). */
    confState?: ConfState,
  ): Promise<T> {
    // Installing from the call to its end, the backoffs between attempts included: a replica
    // released meanwhile (region_creation.ts) would be hosted by the install, off the driver.
    this.#mark(id, 1);
    try {
      return await this.#attempts(id, image, after, confState);
    } finally {
      this.#mark(id, -1);
    }
  }

  async #attempts<T>(
    id: number,
    image: Uint8Array,
    after: AfterInstall<T>,
    confState: ConfState | undefined,
  ): Promise<T> {
    let head: ImageHead | undefined;
    for (let delayMs = DISK_RETRY_MS_MIN;; delayMs = Math.min(2 * delayMs, DISK_RETRY_MS_MAX)) {
      try {
        return await this.#enqueue(id, async (engine) => {
          head ??= await imageHead(id, image, this.pace, confState);
          const { descriptor, index } = head, absorbed = yieldingAbsorbed(engine.db, head);
          const img = { descriptor, index, absorbed, stream: () => pacedSlices(image, this.pace) };
          await this.#retried((step) => importRegionSnapshot(engine.db, img, {}, step), engine);
          this.counts.installed++;
          return await engine.locked(() => after(engine.db, index, descriptor));
        });
      } catch (err) {
        if (!(err instanceof ImageOverlapError)) throw err;
        this.counts.overlapRetries++;
        await new Promise<void>((resolve) => this.clock.setTimeout(resolve, delayMs));
      }
    }
  }

  /**
   * Empties the ranges of region `id`, whose replica left this node (region_removal.ts), in
   * bounded steps after the jobs queued before it; `last` runs once, on the lock, after it.
   */
  clear<T>(
    id: number,
    run: (step: BatchStep) => Promise<T>,
    last: () => Promise<void>,
  ): Promise<T> {
    return this.#enqueue(id, async (engine) => {
      const out = await this.#retried(run, engine);
      await this.#retried(() => engine.locked(last), engine);
      this.counts.cleared++;
      return out;
    });
  }

  /** A timer turn: what waits for the event loop (sockets, timers) runs now. */
  pause = (): Promise<void> =>
    new Promise((resolve) =>
      this.clock.setTimeout(() => {
        this.#lastTurnMs = this.clock.nowMs();
        resolve();
      }, 0)
    );

  /**
   * A timer turn once IMAGE_READ_TURN_MS passed since the last one (between an image's slices):
   * a turn after every slice cost Bun about 1 ms each, hundreds per image.
   */
  pace = (): Promise<void> =>
    this.clock.nowMs() - this.#lastTurnMs >= IMAGE_READ_TURN_MS ? this.pause() : Promise.resolve();

  #lastTurnMs = 0;

  #mark(id: number, by: 1 | -1): void {
    const n = (this.#busy.get(id) ?? 0) + by;
    if (n <= 0) this.#busy.delete(id);
    else this.#busy.set(id, n);
  }

  #enqueue<T>(id: number, job: (engine: EngineHolder) => Promise<T>): Promise<T> {
    this.#mark(id, 1);
    const run = async () => {
      try {
        return await job(this.engine());
      } finally {
        this.#mark(id, -1);
      }
    };
    const done = this.#queue.then(run, run);
    this.#queue = done.catch(() => {});
    return done;
  }

  /** Runs `work` in steps on the engine's lock; from scratch again while the disk is full. */
  async #retried<T>(work: (step: BatchStep) => Promise<T>, engine: EngineHolder): Promise<T> {
    const step = async <R>(run: () => Promise<R>): Promise<R> => {
      const out = await engine.locked(run);
      this.counts.steps++;
      await this.pause();
      return out;
    };
    for (let delayMs = DISK_RETRY_MS_MIN;; delayMs = Math.min(2 * delayMs, DISK_RETRY_MS_MAX)) {
      try {
        return await work(step);
      } catch (err) {
        if (!(err instanceof NoSpaceError)) throw err; // a closed engine ends it too
        this.counts.diskRetries++;
        await new Promise<void>((resolve) => this.clock.setTimeout(resolve, delayMs));
      }
    }
  }
}
