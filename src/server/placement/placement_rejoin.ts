/**
 * A placement voter that lost region 0 gets it back (docs/regions.md "The placement service on
 * the node", "A member that lost region 0"). Region 0 has no membership changes: its voters are
 * the first three ids of `--peers` for good, so a voter whose disk was wiped (rebuilt in place,
 * or removed, wiped and joined again) is still in the group's configuration, and the group runs
 * one member short until it holds region 0 again — with every voter wiped in turn, it has no
 * quorum and no write gets a timestamp.
 *
 * The placement leader keeps sending such a node region 0's appends and heartbeats, which the
 * driver drops (no such region here) and shows to `onUnknownRegion`. On one of them from a
 * leader (an append, a heartbeat or a snapshot; never a vote request), on a node that is one of
 * the voters, the node adds region 0 between driver rounds: a Raft replica with an empty log and
 * no configuration over an empty PlacementState. It answers the leader, which finds nothing to
 * append to and sends its snapshot: the placement image (placement_image.ts), the Raft
 * snapshot's data on the per-region snapshot stream, which the replica's PlacementStore restores
 * and writes to its file. Its configuration comes with the snapshot. Region 0's snapshots are
 * never region images (no range, no engine records), so region creation (region_creation.ts)
 * leaves region 0 alone: a region replica could never install one, and its leader sent them
 * forever.
 *
 * Raft's rule for a voter that lost its disk: it may have acknowledged entries, and voted in a
 * term, that it no longer remembers; with an empty log its vote could elect a leader missing
 * entries committed with its acknowledgement. As for region 1 on a rebuilt node (rebuild.ts), the
 * replica neither votes nor campaigns (`suppressVotes`) until it has applied its leader's commit
 * index confirmed by a quorum after it was created (a ReadIndex of region 0). Region 1 rejoins a
 * wiped member through a membership change or this same vote suppression; region 0 has no
 * membership changes, so the suppression is what it has. A marker file (`placement/REJOINING`,
 * written before the replica exists, removed once it caught up) keeps the suppression across a
 * restart in between.
 */
import type { Message } from "../../raft/core/messages.ts";
import { MessageType } from "../../raft/core/messages.ts";
import type { MultiLogStore } from "../../raft/multi_log_store.ts";
import type { MultiRaftDriver, RegionSpec } from "../../raft/multi/driver.ts";
import type { RaftGroup } from "../../raft/group.ts";
import { utf8 } from "../../util/bytes.ts";
import { errorMessage } from "../../util/errors.ts";
import type { ResolvedNodeOptions } from "../node/options.ts";
import { ReadBarrier } from "../node/read_barrier.ts";
import { NodeReadIssuer } from "../node/read_issuer.ts";
import { PLACEMENT_REGION } from "./placement_options.ts";
import type { PlacementStore } from "./placement_store.ts";

/** In the placement directory while a rejoined replica may not vote yet. */
export const PLACEMENT_REJOIN_MARKER = "REJOINING";

/** How long a replica that may not vote yet waits before asking its leader again. */
const CATCH_UP_RETRY_MS = 200;

export interface PlacementRejoinDeps {
  readonly o: ResolvedNodeOptions;
  readonly driver: MultiRaftDriver;
  readonly log: MultiLogStore;
  readonly store: PlacementStore;
  /** Runs a task between driver rounds (the driver adds regions only there). */
  readonly between: ((task: () => Promise<void>) => void) | undefined;
  /** Region 0's driver spec (the node's state machine and hooks). */
  readonly spec: () => RegionSpec;
  /** Whether this node holds region 0 now. */
  readonly member: () => boolean;
  /** Whether the placement group lists this node (placement_group_member.ts). */
  readonly mayHold: () => boolean;
  /** A leader's message while the group does not list this node: ask whether it does now. */
  readonly notListed: () => void;
  /** The replica caught up: the leader should hear it at once (it may promote it). */
  readonly caughtUp: () => void;
  /** The replica is on the driver: the node counts itself a member from now on. */
  readonly joined: () => void;
  readonly closed: () => boolean;
}

export class PlacementRejoin {
  #scheduled = false;
  #catchingUp = false;
  /** A rejoin a restart interrupted, its catch-up not started yet. */
  #resumed = false;
  readonly #barrier: ReadBarrier;
  readonly #issuer: NodeReadIssuer;
  /** Replicas created here; catch-ups completed (the replica votes again). */
  readonly counts = { created: 0, caughtUp: 0 };

  constructor(readonly d: PlacementRejoinDeps) {
    const group = (): RaftGroup => {
      const h = d.driver.regionNode(PLACEMENT_REGION);
      if (h === undefined) throw new Error("region 0 is not on the driver");
      return h;
    };
    this.#issuer = new NodeReadIssuer(d.o.id, group, () => d.store.state.appliedIndex);
    this.#barrier = new ReadBarrier(this.#issuer, d.o.clock, d.o.requestTimeoutMs, d.o.id);
  }

  get #marker(): string {
    return `${this.d.store.dir}/${PLACEMENT_REJOIN_MARKER}`;
  }

  /** Region 0 here does not vote yet: it was recreated and has not caught up. */
  get catchingUp(): boolean {
    return this.#catchingUp;
  }

  /**
   * At open, on a member: a rejoin that a restart interrupted resumes (region 0 is on the driver
   * already, no round has run). Its replica may not vote until it has caught up again.
   */
  resume(): void {
    if (this.d.o.fs.stat(this.#marker) === undefined) return;
    const h = this.d.driver.regionNode(PLACEMENT_REGION);
    if (h === undefined) return;
    h.suppressVotes = true;
    this.#catchingUp = true;
    this.#resumed = true;
  }

  /** Starts the catch-up of a resumed rejoin (once the node runs). */
  start(): void {
    if (!this.#resumed) return;
    this.#resumed = false;
    void this.#catchUp();
  }

  /** A message of region 0, which this node does not hold (the driver's `onUnknownRegion`). */
  seen(m: Message): void {
    if (this.#scheduled || this.d.member() || this.d.closed() || this.d.between === undefined) {
      return;
    }
    const fromLeader = m.type === MessageType.App || m.type === MessageType.Heartbeat ||
      m.type === MessageType.Snap;
    if (!fromLeader) return;
    if (!this.d.mayHold()) return this.d.notListed();
    this.#scheduled = true;
    this.d.between(() => this.#create());
  }

  async #create(): Promise<void> {
    this.#scheduled = false;
    const driver = this.d.driver;
    if (this.d.closed() || this.d.member() || driver.region(PLACEMENT_REGION) !== undefined) {
      return;
    }
    if (holdsRegion0(this.d.log)) return; // opened as a member at start: never here
    await this.#mark();
    await driver.addRegions([this.d.spec()]);
    const h = driver.regionNode(PLACEMENT_REGION);
    if (h === undefined) return;
    h.suppressVotes = true;
    this.#catchingUp = true;
    this.d.joined();
    this.counts.created++;
    this.d.o.logger.info("placement.replica_created", {
      note: "region 0 made here from its leader's message; it does not vote until it has caught up",
    });
    void this.#catchUp();
  }

  /**
   * The marker first, and no image file left from before (none on a wiped disk; a file of a
   * log this node no longer holds must not be loaded over the new replica's at a restart).
   */
  async #mark(): Promise<void> {
    const fs = this.d.o.fs, dir = this.d.store.dir;
    fs.mkdir(dir);
    for (const name of fs.list(dir)) fs.remove(`${dir}/${name}`);
    const f = fs.open(this.#marker, { create: true, truncate: true });
    try {
      f.append(utf8("region 0 was recreated here: it does not vote until it has caught up\n"));
      await f.sync();
    } finally {
      f.close();
    }
    await fs.syncDir(dir);
  }

  /** Lets the replica vote once it applied its leader's commit index confirmed after now. */
  async #catchUp(): Promise<void> {
    for (;;) {
      if (this.d.closed() || !this.d.member()) return; // closed, or left out of the group
      try {
        await this.#barrier.wait();
        // The barrier can only pass once the leader's image is installed (index ≥ 1).
        if (this.d.store.state.appliedIndex > 0) break;
      } catch {
        // No leader known yet, or the round timed out: ask again.
      }
      await new Promise<void>((resolve) => this.d.o.clock.setTimeout(resolve, CATCH_UP_RETRY_MS));
    }
    if (this.d.closed() || !this.d.member()) return;
    try {
      this.d.o.fs.remove(this.#marker);
      await this.d.o.fs.syncDir(this.d.store.dir);
    } catch (err) {
      // Kept, the marker only makes a restart wait for one more read barrier.
      this.d.o.logger.warn("placement.rejoin_marker", { error: errorMessage(err) });
    }
    const h = this.d.driver.regionNode(PLACEMENT_REGION);
    if (h !== undefined) h.suppressVotes = false;
    this.#catchingUp = false;
    this.counts.caughtUp++;
    this.d.caughtUp();
    this.d.o.logger.info("placement.replica_caught_up", {
      index: this.d.store.state.appliedIndex,
      note: "region 0 votes again",
    });
  }

  /** Region 0's read states: the catch-up's rounds (the leadership check's are its own). */
  readStates(states: readonly { readonly context: Uint8Array; readonly index: number }[]): void {
    for (const s of states) this.#barrier.confirmed(s.context, s.index);
  }

  /** Region 0 applied entries or installed an image. */
  applied(): void {
    this.#barrier.applied();
  }

  /** Region 0's leader changed: rounds in flight will not be answered. */
  leadershipChanged(): void {
    this.#barrier.abortUnconfirmed("leadership changed");
    this.#issuer.reconsider();
  }
}

/** Whether the log holds region 0 (entries or a snapshot marker). */
export function holdsRegion0(log: MultiLogStore): boolean {
  if (!log.regionIds().includes(PLACEMENT_REGION)) return false;
  const v = log.group(PLACEMENT_REGION);
  return v.lastIndex() > 0 || v.snapshotMarker.index > 0;
}
