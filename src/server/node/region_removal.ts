/**
 * Garbage collection of a replica this node no longer holds (docs/regions.md "Operators
 * executed"): its region applied a configuration without this node (an operator's last step
 * moved it away), or the placement leader named it in a tombstone (the node was removed while it
 * was down and never applied its removal). The replica stops being served, leaves the driver
 * (its records in the shared log go with it), and its records leave the engine: the user-keyed
 * records of its range and its region-local records (region_range_clear.ts), the descriptor
 * last. No other local region overlaps the range (two local regions never overlap: see
 * region_creation.ts), so nothing another region owns is touched.
 *
 * A replica of a region merged away (its merge record says `merged`) loses its region-local
 * records only: its range's keys are the target's now; and not its change feed while a split
 * child of it here reads its keys' older changes there (region_feed_keep.ts). A replica that
 * leaves takes with it the kept feeds of its ancestors that nothing here reads any more.
 *
 * A crash part way leaves the descriptor (it is deleted last): the node opens the region again,
 * finds that its descriptor does not list it, and removes it again (region_operators.ts). The
 * replica leaves the driver between rounds (the driver removes regions only then); its records
 * are cleared after that, in bounded steps on the engine's lock while the node goes on
 * (region_image_install.ts, which also runs image installs: one job at a time on the node).
 *
 * A full disk when the replica leaves the driver (its removal is a record in the shared log) is
 * waited out: the attempt is made again from a later turn between rounds, after a backoff, and
 * the records are cleared once it succeeded. Thrown out of the task between rounds, it stopped
 * the node's driver for good (simulator seed 520 with merges: a removal at a restart on a full
 * disk).
 */
import { type BatchStep, clearRegionRanges } from "../../kv/region_range_clear.ts";
import { clearLeftoverFeeds, clearMergedReplica } from "../../kv/region_feed_keep.ts";
import { readLineage } from "../../kv/region_lineage.ts";
import { descriptorKey } from "../../kv/region_descriptor_record.ts";
import { mergeStateKey } from "../../kv/region_merge_state.ts";
import { DISK_RETRY_MS_MAX, DISK_RETRY_MS_MIN } from "../../limits.ts";
import { NoSpaceError } from "../../util/errors.ts";
import type { EngineHolder } from "./engine_holder.ts";
import type { RegionImageInstaller } from "./region_image_install.ts";
import type { HostedRegion } from "./hosted_region.ts";
import type { ResolvedNodeOptions } from "./options.ts";
import type { NodeRaft } from "./region_driver.ts";

export interface ReplicaRemovalDeps {
  readonly o: ResolvedNodeOptions;
  readonly raft: NodeRaft;
  readonly engine: () => EngineHolder;
  /** Where a removed replica's records are cleared, in steps, after queued installs. */
  readonly images: RegionImageInstaller;
  /** Stops serving region `id` (region_host.ts); undefined when it is not hosted here. */
  readonly forget: (id: number) => HostedRegion | undefined;
  readonly closed: () => boolean;
}

export class ReplicaRemoval {
  readonly #pending = new Set<number>();
  /** Replicas removed, and records deleted with them. */
  readonly counts = { removed: 0, records: 0 };

  constructor(readonly d: ReplicaRemovalDeps) {}

  /** Removals scheduled and not finished (the replica may be gone already, its keys not yet). */
  get pending(): number {
    return this.#pending.size;
  }

  /** Schedules the removal of region `id`'s replica (once; region 1 never). */
  remove(id: number, why: string): void {
    if (id <= 1 || this.#pending.has(id) || this.d.closed()) return;
    this.#pending.add(id);
    this.d.raft.loop.between(async () => {
      let left: { clearing: Promise<void> } | undefined;
      try {
        left = await this.#remove(id, why);
      } finally {
        if (left === undefined) this.#pending.delete(id);
      }
      // Not awaited: the loop goes on while the records leave in steps.
      left?.clearing.finally(() => this.#pending.delete(id));
    });
  }

  /** Stops serving the replica and takes it off the driver; the returned clearing runs on. */
  async #remove(id: number, why: string): Promise<{ clearing: Promise<void> } | undefined> {
    if (this.d.closed()) return undefined;
    const engine = this.d.engine();
    // The log goes first (durably) and the engine's WAL is off: the state that lets this node
    // forget the region — a merge's commit with the source's `merged` record, or the membership
    // change that moved it off — must be on disk before its log is gone. Else a crash takes the
    // engine back to before it, the replay has no log to rebuild the region from, and it opens
    // at an old state, alive: a merged source back over its target's keys (docs/regions.md
    // "Merge", Simulation). A flush that fails (a full disk) leaves the replica; the checks
    // that asked for its removal ask again.
    try {
      await engine.flushApplied();
    } catch (err) {
      this.d.o.logger.warn("region.replica_remove_deferred", { region: id, error: String(err) });
      return undefined;
    }
    const r = this.d.forget(id);
    if (r === undefined) return undefined;
    const descriptor = r.kv.descriptor;
    // Merged away (region_merge_check.ts): its user keys are the target's; only its own go.
    const localOnly = r.kv.merge?.stage === "merged";
    r.proposals.failAll(`region ${id} moved off this node`);
    r.reads.abortUnconfirmed(`region ${id} moved off this node`);
    r.kv.kv.garbage.stop();
    let offDriver = Promise.resolve();
    try {
      await this.d.raft.driver.removeRegions([id]);
    } catch (err) {
      if (!(err instanceof NoSpaceError)) throw err;
      this.d.o.logger.warn("region.replica_remove_deferred", { region: id, error: String(err) });
      offDriver = this.#offDriverLater(id);
    }
    // The descriptor and the merge record go last, together: a crash before leaves a region
    // that opens as it was (merged away, or not), and is removed again. In bounded steps after
    // any image install or clearing queued before (region_image_install.ts).
    const last = [descriptorKey(id), mergeStateKey(id)];
    const clear = async (step: BatchStep) => {
      // Its ancestors' kept feeds first, while its lineage still names them: a crash part way
      // removes it again and finishes them.
      const ancestors = readLineage(engine.db, id).map((a) => a.regionId);
      const n = await clearLeftoverFeeds(engine.db, ancestors, id, { step });
      return n +
        (localOnly
          ? await clearMergedReplica(engine.db, id, last, { step })
          : await clearRegionRanges(engine.db, descriptor, last, { step }));
    };
    const clearing = offDriver.then(() =>
      this.d.images.clear(
        id,
        clear,
        () => engine.db.write(last.map((key) => ({ type: "del" as const, key }))),
      )
    ).then((n) => {
      this.counts.removed++;
      this.counts.records += n + 1;
      this.d.o.logger.info("region.replica_removed", { region: id, why, records: n + 1 });
    }, (err: unknown) => {
      // Its descriptor stays: the next start removes it again (region_operators.ts).
      this.d.o.logger.warn("region.replica_remove_failed", { region: id, error: String(err) });
    });
    return { clearing };
  }

  /**
   * Takes region `id` off the driver from a turn between rounds after a backoff, again after each
   * full disk (never throwing there: that would stop the driver); resolves once it is off.
   */
  #offDriverLater(id: number): Promise<void> {
    return new Promise((resolve, reject) => {
      let delayMs = DISK_RETRY_MS_MIN;
      const attempt = () =>
        this.d.raft.loop.between(async () => {
          if (this.d.closed()) return reject(new Error("node shutting down"));
          try {
            await this.d.raft.driver.removeRegions([id]);
            resolve();
          } catch (err) {
            if (!(err instanceof NoSpaceError)) return reject(err);
            delayMs = Math.min(2 * delayMs, DISK_RETRY_MS_MAX);
            this.d.o.clock.setTimeout(attempt, delayMs);
          }
        });
      this.d.o.clock.setTimeout(attempt, delayMs);
    });
  }
}
