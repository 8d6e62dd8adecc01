/**
 * One region's replica inside the multi-region driver (driver.ts): its
 * RawNode over the region's view of the shared log, its state machine and
 * hooks, what its disk holds (for the pipelining node.ts also does), and the
 * bookkeeping the driver needs per region (outstanding reads, entries applied
 * since the last compaction, how long it has looked quiescent).
 */
import { assert } from "../../util/assert.ts";
import type { RaftConfig } from "../core/config.ts";
import { type Entry, EntryType, type Snapshot } from "../core/messages.ts";
import { decodeConfChange } from "../core/confchange/conf_change.ts";
import { RawNode } from "../core/raw_node.ts";
import type { ReadState } from "../core/ready.ts";
import type { RegionLog } from "../multi_log_store.ts";
import type { NodeHooks } from "../node_options.ts";
import { PersistedState } from "../persisted_state.ts";

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
  /** ReadIndex results: serve each read once `index` is applied (or `hooks.onReadStates`). */
  onReadStates?(states: readonly ReadState[]): void;
  /**
   * Whether the conf change entry at `index`, just applied, was refused by the state machine
   * (asked once per entry): the configuration stays as it was, on every replica alike.
   */
  refusesConfChange?(index: number): boolean;
}

export type RegionRaftConfig = Omit<
  RaftConfig,
  "id" | "storage" | "applied" | "prng" | "selfAckAfterPersist"
>;

export class RegionReplica {
  readonly rawNode: RawNode;
  /** Not ticked: see quiescence.ts. */
  quiet = false;
  /** Consecutive ticks a leader found the region quiescent (it goes quiet after a few). */
  calmTicks = 0;
  /** ReadIndex requests not yet answered (a region with reads pending never goes quiet). */
  pendingReads = 0;
  appliedSinceCompaction = 0;
  /** Entry data bytes applied since the last compaction (held in memory until it). */
  appliedBytesSinceCompaction = 0;
  /** What this node's disk holds of the region, as of the last completed save. */
  readonly persisted: PersistedState;
  /** Index of the last entry (or snapshot) handed to the state machine. */
  handedToApply: number;
  /**
   * Index of the last entry (or snapshot) applied, its conf change included: the configuration
   * is as of this index. A region image newer than its Raft snapshot puts the state machine's
   * applied index past it until the log's entries up to the image are applied again here.
   */
  applied: number;
  /**
   * Neither grants votes nor campaigns (a rebuilding node): vote requests are dropped, and the
   * core does not campaign (RawNode.mayCampaign), not even on a leader's TimeoutNow.
   */
  get suppressVotes(): boolean {
    return this.#suppressVotes;
  }

  set suppressVotes(on: boolean) {
    this.#suppressVotes = on;
    this.rawNode.setMayCampaign(!on);
  }

  #suppressVotes = false;
  /** Peer messages for this region refused because the driver's inbox was full. */
  droppedMessages = 0;
  /**
   * Peer messages stepped into this region: a replica left out of its configuration stays while
   * they keep coming (a voter still counting it may need its vote: region_operators.ts).
   */
  messagesIn = 0;
  /** Called when its members may have changed (a conf change or a snapshot applied). */
  onMembers: () => void = () => {};
  /** Whether `node`'s node beats (quiescence.ts); set by the driver's QuietRegions. */
  nodeBeats: (node: number) => boolean = () => true;

  constructor(
    readonly id: number,
    readonly sm: RegionStateMachine,
    readonly log: RegionLog,
    nodeId: number,
    config: RegionRaftConfig,
    prng: RaftConfig["prng"],
    readonly hooks: NodeHooks = {},
  ) {
    const storage = log.storage;
    // The state machine re-applies the log from the snapshot, so the
    // configuration is the snapshot's; later changes are re-applied.
    storage.confState = storage.snapshot().metadata.confState;
    const applied = storage.snapshot().metadata.index;
    // The leader counts its own log only once saved: acks are stepped mid-save (round.ts).
    this.rawNode = new RawNode({
      ...config,
      id: nodeId,
      storage,
      applied,
      prng,
      selfAckAfterPersist: true,
    });
    this.persisted = new PersistedState(storage.lastIndex(), this.rawNode.hardState());
    this.handedToApply = applied;
    this.applied = applied;
  }

  /**
   * A leader with nothing in flight: everything committed and applied, every
   * member's log matches, no read waiting, no leadership transfer. `alive`: whether a
   * member's node beats (quiescence.ts).
   */
  leaderIsCalm(alive: (node: number) => boolean): boolean {
    const rn = this.rawNode;
    if (!rn.isLeader || this.pendingReads > 0) return false;
    const st = rn.status();
    if (st.commit !== st.lastIndex || st.applied !== st.commit || st.leadTransferee !== 0) {
      return false;
    }
    for (const [id, pr] of st.progress) {
      if (pr.match !== st.lastIndex) return false;
      // A follower that is probed or sent a snapshot may have lost its log (a wiped node): the
      // leader stays awake until it replicates again, while the follower answers or its node
      // beats. A wiped node has no replica to answer with until a message of this leader makes
      // one (server/node/region_creation.ts): gone quiet, the leader sent none, and the node
      // never got the region back (the simulator's seed 47 with regions). A member whose node
      // is down lets the region go quiet.
      if (pr.state !== "replicate" && (pr.heardRecently || alive(id))) return false;
    }
    return true;
  }

  /**
   * Whether this leader may take member `node` for heard from recently: its progress says so
   * (`heardRecently`) and `node`'s node beats (quiescence.ts; always true without quiescence).
   * A quiet region's Raft does not tick, so the flag stands where it was when the region went
   * quiet (a dead member stayed "heard recently" for good, and was reported caught up to
   * placement), and a woken leader counts every member active for an election timeout.
   */
  heardFrom(node: number, heardRecently: boolean): boolean {
    return heardRecently && (node === this.rawNode.id || this.nodeBeats(node));
  }

  /** The members other than this node (who a quiescent leader's beat must reach). */
  peers(): number[] {
    const cs = this.rawNode.status().confState;
    const all = new Set([...cs.voters, ...cs.votersOutgoing, ...cs.learners, ...cs.learnersNext]);
    all.delete(this.rawNode.id);
    return [...all];
  }

  /**
   * Applies committed entries, conf changes included: once each, in log order,
   * and only once they are durable here, or (`ahead`, a leader mid-save) on a
   * quorum of the other voters' disks (apply_ahead.ts).
   */
  async apply(entries: readonly Entry[], ahead = false): Promise<void> {
    const first = entries[0];
    if (first === undefined) return;
    const lastIndex = first.index + entries.length - 1;
    assert(
      first.index === this.handedToApply + 1,
      `r${this.id}: apply ${first.index} after ${this.handedToApply}`,
    );
    if (entries[entries.length - 1].index !== lastIndex) {
      assert(false, `r${this.id}: apply batch has gaps`);
    }
    const durable = ahead ? this.rawNode.commitIndex : this.persisted.index;
    if (lastIndex > durable) {
      assert(false, `r${this.id}: apply ${lastIndex} beyond ${durable} (${ahead})`);
    }
    this.handedToApply = lastIndex;
    await this.sm.apply(entries);
    for (const e of entries) {
      if (e.type !== EntryType.ConfChange) continue;
      const cc = decodeConfChange(e.data);
      if (cc === undefined) continue; // refused at proposal time; every replica skips it alike
      if (this.sm.refusesConfChange?.(e.index) === true) continue; // refused by replicated state
      const cs = this.rawNode.applyConfChange(cc);
      this.log.setConfState(cs);
      this.hooks.onConfChange?.(cc, cs, e.index);
      this.onMembers();
    }
    this.applied = lastIndex;
    this.appliedSinceCompaction += entries.length;
    for (const e of entries) this.appliedBytesSinceCompaction += e.data.length;
  }

  /**
   * The core installs a snapshot only past its commit index, so past everything applied. The
   * region's Ready is held meanwhile (restoring.ts): nothing else is handed to apply.
   */
  async restore(snapshot: Snapshot): Promise<void> {
    const index = snapshot.metadata.index;
    assert(index > this.handedToApply, `r${this.id}: snapshot ${index} not after applied`);
    await this.sm.restore(snapshot);
    this.handedToApply = index;
    this.applied = index;
    this.onMembers();
    this.appliedSinceCompaction = 0;
    this.appliedBytesSinceCompaction = 0;
  }

  onReadStates(states: readonly ReadState[]): void {
    // Reads pending across a leader change may never be answered: they stop counting then.
    this.pendingReads = Math.max(0, this.pendingReads - states.length);
    this.sm.onReadStates?.(states);
    this.hooks.onReadStates?.(states);
  }
}
