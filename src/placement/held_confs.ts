/**
 * The conf version each node last said it applied for each region it hosts (the `held` list of
 * its heartbeats), kept by the placement leader in memory for the term it leads (docs/regions.md
 * "Dropping a removed replica"). A removed replica may drop itself only once every voter of the
 * configuration that left it out has applied that configuration: until then a voter still on
 * the older one counts the removed replica in its quorum, and may need its vote (the 1M-key e2e
 * run: the leader committed a removal, the removed node learned it and left, the leader died,
 * and the two voters left needed three of four votes).
 *
 * A node's heartbeat may list only part of what it hosts (a cursor walks the rest: see
 * heartbeat_sender.ts), so each report updates the entries it names and keeps the others. An
 * entry stays after the node drops the replica: it did apply that version, which is all it says.
 */
import { PLACEMENT_HELD_TRACKED_MAX } from "../limits_ops.ts";
import type { RegionDescriptor } from "../region/descriptor.ts";

export interface HeldConf {
  readonly regionId: number;
  readonly confVer: number;
}

export class HeldConfs {
  /** region id → node id → conf version applied. */
  readonly #byRegion = new Map<number, Map<number, number>>();
  #entries = 0;

  /** Records what `nodeId`'s heartbeat listed; past the bound, new entries are not kept. */
  record(nodeId: number, held: readonly HeldConf[]): void {
    for (const h of held) {
      let nodes = this.#byRegion.get(h.regionId);
      if (nodes === undefined) {
        if (this.#entries >= PLACEMENT_HELD_TRACKED_MAX) continue;
        nodes = new Map();
        this.#byRegion.set(h.regionId, nodes);
      }
      if (!nodes.has(nodeId)) {
        if (this.#entries >= PLACEMENT_HELD_TRACKED_MAX) continue;
        this.#entries++;
      }
      nodes.set(nodeId, h.confVer);
    }
  }

  /** The conf version `nodeId` last reported applying for `regionId`. */
  applied(regionId: number, nodeId: number): number | undefined {
    return this.#byRegion.get(regionId)?.get(nodeId);
  }

  /** Whether every voter of `d` has reported applying `d`'s conf version or a later one. */
  allVotersApplied(d: RegionDescriptor): boolean {
    for (const p of d.replicas) {
      if (p.role !== "voter") continue;
      if ((this.applied(d.id, p.nodeId) ?? -1) < d.epoch.confVer) return false;
    }
    return true;
  }

  /** Forgets regions `exists` denies (merged away): their entries would never be read again. */
  prune(exists: (regionId: number) => boolean): void {
    for (const [id, nodes] of this.#byRegion) {
      if (exists(id)) continue;
      this.#entries -= nodes.size;
      this.#byRegion.delete(id);
    }
  }

  get size(): number {
    return this.#entries;
  }
}
