/**
 * Region images installed on a node's shared engine without holding the node up
 * (docs/regions.md "Region snapshots"). A region image of tens of MB takes seconds to verify and
 * write; run as one task on the engine's lock it kept every other region's applies waiting that
 * long (and before that, inside a driver round, their Raft traffic too: src/raft/multi/
 * restoring.ts), so under load a node that received an image read as down to its peers and to
 * placement. Here:
 *
 * - installs run one at a time (a node-wide queue), so two never write overlapping ranges and
 *   each one's overlap check sees the descriptors the one before it wrote;
 * - every bounded step of one (region_snapshot_import.ts: a batch of deletes or of records, the
 *   marker, the last batch) runs on the engine's lock, and a timer turn follows it, so other
 *   regions' applies, socket reads and the driver's ticks run between steps;
 * - the image is read in MULTI_SNAPSHOT_CHUNK_BYTES slices with a timer turn between them (it is
 *   read three times: its head, its verification, its records);
 * - while region `id` installs, `installing(id)` is true: the host keeps a merge from reading or
 *   writing its state meanwhile (region_host.ts), and its own entries wait in the driver;
 * - an install the disk has no space for is started over after a backoff (DISK_RETRY_MS_MIN
 *   doubling to DISK_RETRY_MS_MAX), as the driver retries a save (decisions/0005): the node keeps
 *   running and the region stays installing. An import starts from scratch every time (its
 *   marker and range clearing make that safe); before, the failure stopped the node's driver.
 */
import type { RegionDescriptor } from "../../region/descriptor.ts";
import { importRegionSnapshot } from "../../kv/region_snapshot_import.ts";
import { DISK_RETRY_MS_MAX, DISK_RETRY_MS_MIN } from "../../limits.ts";
import type { Clock } from "../../platform/types.ts";
import { NoSpaceError } from "../../util/errors.ts";
import type { Db } from "../../storage/db.ts";
import type { EngineHolder } from "./engine_holder.ts";
import { imageHead, pacedSlices } from "./region_snapshots.ts";

/** What runs once the image is in, on the engine's lock: reopening the region's state machine. */
export type AfterInstall<T> = (db: Db, index: number, descriptor: RegionDescriptor) => Promise<T>;

export class RegionImageInstaller {
  #queue: Promise<unknown> = Promise.resolve();
  readonly #installing = new Set<number>();
  /** Images installed, steps run on the engine's lock, installs started over for lack of space. */
  readonly counts = { installed: 0, steps: 0, diskRetries: 0 };

  constructor(readonly engine: () => EngineHolder, readonly clock: Clock) {}

  /** Whether region `id` is installing an image (queued or running). */
  installing(id: number): boolean {
    return this.#installing.has(id);
  }

  /** Installs `image` as region `id`'s state, after the installs queued before it. */
  install<T>(id: number, image: Uint8Array, after: AfterInstall<T>): Promise<T> {
    this.#installing.add(id);
    const run = async () => {
      try {
        return await this.#install(id, image, after);
      } finally {
        this.#installing.delete(id);
      }
    };
    const done = this.#queue.then(run, run);
    this.#queue = done.catch(() => {});
    return done;
  }

  /** A timer turn: what waits for the event loop (sockets, timers) runs now. */
  pause = (): Promise<void> => new Promise((resolve) => this.clock.setTimeout(resolve, 0));

  async #install<T>(id: number, image: Uint8Array, after: AfterInstall<T>): Promise<T> {
    const { descriptor, index } = await imageHead(id, image, this.pause);
    const engine = this.engine();
    const step = async <R>(run: () => Promise<R>): Promise<R> => {
      const out = await engine.locked(run);
      this.counts.steps++;
      await this.pause();
      return out;
    };
    const stream = () => pacedSlices(image, this.pause);
    for (let delayMs = DISK_RETRY_MS_MIN;; delayMs = Math.min(2 * delayMs, DISK_RETRY_MS_MAX)) {
      try {
        await importRegionSnapshot(engine.db, { descriptor, index, stream }, {}, step);
        break;
      } catch (err) {
        if (!(err instanceof NoSpaceError)) throw err; // a closed engine ends it too
        this.counts.diskRetries++;
        await new Promise<void>((resolve) => this.clock.setTimeout(resolve, delayMs));
      }
    }
    this.counts.installed++;
    return await engine.locked(() => after(engine.db, index, descriptor));
  }
}
