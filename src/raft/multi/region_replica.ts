/**
 * One region's replica inside the multi-region driver (driver.ts): its
 * RawNode over the region's view of the shared log, its state machine, and
 * the bookkeeping the driver needs per region (outstanding reads, entries
 * applied since the last compaction, how long it has looked quiescent).
 */
import type { RaftConfig } from "../core/config.ts";
import { type Entry, EntryType, type Snapshot } from "../core/messages.ts";
import { decodeConfChange } from "../core/confchange/conf_change.ts";
import { RawNode } from "../core/raw_node.ts";
import type { ReadState } from "../core/ready.ts";
import type { RegionLog } from "../multi_log_store.ts";

/** A region's replicated state machine, as the driver sees it. */
export interface RegionStateMachine {
  /** Applies committed entries in order (conf change entries included, for their index). */
  apply(entries: readonly Entry[]): void | Promise<void>;
  /** Replaces the state with a snapshot's image (before its marker is saved). */
  restore(snapshot: Snapshot): void | Promise<void>;
  /**
   * Makes the applied state durable before the log is compacted up to the
   * applied index. Without it the region's log is never compacted.
   */
  flush?(): void | Promise<void>;
  /** The image to send a lagging follower: the state as of `index` (a compaction point). */
  image?(index: number): Uint8Array;
  /** ReadIndex results: serve each read once `index` is applied. */
  onReadStates?(states: readonly ReadState[]): void;
}

export type RegionRaftConfig = Omit<RaftConfig, "id" | "storage" | "applied" | "prng">;

export class RegionReplica {
  readonly rawNode: RawNode;
  /** Not ticked: see quiescence.ts. */
  quiet = false;
  /** Consecutive ticks a leader found the region quiescent (it goes quiet after a few). */
  calmTicks = 0;
  /** ReadIndex requests not yet answered (a region with reads pending never goes quiet). */
  pendingReads = 0;
  appliedSinceCompaction = 0;

  constructor(
    readonly id: number,
    readonly sm: RegionStateMachine,
    readonly log: RegionLog,
    nodeId: number,
    config: RegionRaftConfig,
    prng: RaftConfig["prng"],
  ) {
    const storage = log.storage;
    // The state machine re-applies the log from the snapshot, so the
    // configuration is the snapshot's; later changes are re-applied.
    storage.confState = storage.snapshot().metadata.confState;
    const applied = storage.snapshot().metadata.index;
    this.rawNode = new RawNode({ ...config, id: nodeId, storage, applied, prng });
  }

  /**
   * A leader with nothing in flight: everything committed and applied, every
   * member's log matches, no read waiting, no leadership transfer.
   */
  leaderIsCalm(): boolean {
    const rn = this.rawNode;
    if (!rn.isLeader || this.pendingReads > 0) return false;
    const st = rn.status();
    if (st.commit !== st.lastIndex || st.applied !== st.commit || st.leadTransferee !== 0) {
      return false;
    }
    for (const pr of st.progress.values()) if (pr.match !== st.lastIndex) return false;
    return true;
  }

  /** The members other than this node (who a quiescent leader's beat must reach). */
  peers(): number[] {
    const cs = this.rawNode.status().confState;
    const all = new Set([...cs.voters, ...cs.votersOutgoing, ...cs.learners, ...cs.learnersNext]);
    all.delete(this.rawNode.id);
    return [...all];
  }

  /** Applies committed entries, conf changes included. */
  async apply(entries: readonly Entry[]): Promise<void> {
    if (entries.length === 0) return;
    await this.sm.apply(entries);
    for (const e of entries) {
      if (e.type !== EntryType.ConfChange) continue;
      const cc = decodeConfChange(e.data);
      if (cc === undefined) continue; // refused at proposal time; every replica skips it alike
      this.log.setConfState(this.rawNode.applyConfChange(cc));
    }
    this.appliedSinceCompaction += entries.length;
  }
}
