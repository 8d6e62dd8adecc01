/**
 * A node's side of the placement group's membership (docs/regions.md "The placement group
 * follows the cluster"): whether this node may hold region 0, and dropping a replica the group
 * left out.
 *
 * The placement leader names region 0's configuration in every heartbeat answer
 * (placement_group.ts). The newest answer (by the leader's applied index) decides: a node
 * creates region 0 from a leader's message only while that answer lists it (placement_rejoin.ts),
 * so a stale message of a leader from before its removal makes nothing; before a first answer,
 * the first voters of `--peers` may (a wiped voter of a new cluster gets region 0 back as before),
 * unless they joined (`--join`, or a directory it made).
 *
 * A replica the configuration leaves out (removed, or removed while it was down and never told)
 * is dropped between driver rounds once the answer says every voter applied the configuration
 * (`settled`), this node does not lead, and its replica has applied no entry after the answer's
 * index (a later one could be its re-addition). The log's records, the state and the image files
 * go; a later answer listing the node again makes a new replica, which catches up by the image.
 */
import { EMPTY_CONF_STATE } from "../../raft/core/messages.ts";
import type { MultiRaftDriver } from "../../raft/multi/driver.ts";
import { errorMessage } from "../../util/errors.ts";
import type { ResolvedNodeOptions } from "../node/options.ts";
import type { GroupAnswer } from "./placement_group.ts";
import { PLACEMENT_REGION, placementVoters } from "./placement_options.ts";
import type { PlacementStore } from "./placement_store.ts";
import type { PlacementNode } from "./placement_node.ts";
import { PLACEMENT_GROUP_LEAVE_WAIT_MS } from "../../limits_ops.ts";

interface GroupMemberDeps {
  readonly o: ResolvedNodeOptions;
  readonly driver: MultiRaftDriver;
  readonly store: PlacementStore;
  /** Runs a task between driver rounds (the driver removes regions only there). */
  readonly between: ((task: () => Promise<void>) => void) | undefined;
  readonly member: () => boolean;
  /** Region 0 left the driver: the node is no member from now on. */
  readonly left: () => void;
  /** Asks the placement leader for a heartbeat's answer soon (it names the group). */
  readonly askSoon: (delayMs: number) => void;
}

/** While a leader's messages come and the group does not list this node, it asks this often. */
const ASK_MS = 200;

export class GroupMember {
  #told: GroupAnswer | undefined;
  #confIndex = 0;
  #dropping = false;
  readonly counts = { dropped: 0 };

  readonly d: GroupMemberDeps;

  /** `left`: region 0 left the driver, and the node is no member from now on. */
  constructor(p: PlacementNode, left: () => void) {
    const d = p.d;
    this.d = {
      o: d.o,
      driver: d.driver,
      store: p.store,
      between: d.between,
      member: () => p.member,
      left,
      askSoon: (ms) => p.heartbeats.soon(ms),
    };
    if (p.member) this.configured(d.log.group(PLACEMENT_REGION).snapshotMarker.index);
    p.store.onRestored = (index) => this.configured(index);
  }

  /** The newest configuration a placement leader named (undefined: none yet). */
  get told(): GroupAnswer | undefined {
    return this.#told;
  }

  /** The last conf change region 0 applied here (at least the index of an image it restored). */
  get confIndex(): number {
    return this.#confIndex;
  }

  /** Region 0 applied a conf change, opened at a snapshot marker or restored an image. */
  configured(index: number): void {
    this.#confIndex = Math.max(this.#confIndex, index);
  }

  /**
   * Whether this node votes in region 0 as its replica knows it: only a voter waits for an
   * election (leader_wait.ts). A learner, or a replica removed without having heard (it knows no
   * leader, and none tells it until the group drops it), asks the voters instead: such a replica
   * on node 4 made its writes wait for a leader and fail for seconds (sim seed 117 with merges).
   */
  votes(): boolean {
    if (!this.d.member()) return false;
    const cs = this.d.driver.region(PLACEMENT_REGION)?.rawNode.status().confState;
    const self = this.d.o.id;
    return cs !== undefined && (cs.voters.includes(self) || cs.votersOutgoing.includes(self));
  }

  /**
   * Whether this node may hold region 0 now. Before a first answer a joiner may not: the group
   * has moved on since `--peers` was written (a founding voter removed, wiped and joined again
   * took `--peers` for the group, held a replica the group had left, and waited on it for an
   * election: the simulator's seed 243 with merges).
   */
  mayHold(): boolean {
    const self = this.d.o.id;
    const t = this.#told;
    if (t === undefined) return !this.d.o.join && placementVoters(this.d.o.peers).includes(self);
    return t.voters.includes(self) || t.learners.includes(self);
  }

  /**
   * A leader's message of region 0 reached this node, which holds none and is not listed: the
   * leader may have just added it as a learner, which the next answer would say. A stale
   * message (a leader from before this node left) costs one heartbeat.
   */
  listedSoon(): void {
    this.d.askSoon(ASK_MS);
  }

  /** Where requests go when no leader is known: the group's voters as last named. */
  voters(): readonly number[] {
    return this.#told?.voters ?? placementVoters(this.d.o.peers);
  }

  /** A heartbeat's answer named region 0's configuration. */
  heard(a: GroupAnswer): void {
    if (this.#told !== undefined && a.index < this.#told.index) return; // an older leader's
    this.#told = a;
    if (this.#mayDrop() && !this.#dropping && this.d.between !== undefined) {
      this.#dropping = true;
      this.d.between(() => this.#drop());
    }
  }

  #mayDrop(): boolean {
    const a = this.#told;
    if (a === undefined || !a.settled || !this.d.member() || this.mayHold()) return false;
    const rn = this.d.driver.region(PLACEMENT_REGION)?.rawNode;
    if (rn === undefined || rn.isLeader) return false;
    return this.d.store.state.appliedIndex <= a.index;
  }

  async #drop(): Promise<void> {
    try {
      if (!this.#mayDrop()) return;
      const at = this.d.store.state.appliedIndex;
      await this.d.driver.removeRegions([PLACEMENT_REGION]);
      this.d.left();
      const empty = { metadata: { index: 0, term: 0, confState: EMPTY_CONF_STATE } };
      this.d.store.state.restore({ ...empty, data: new Uint8Array(0) });
      this.#confIndex = 0;
      const fs = this.d.o.fs, dir = this.d.store.dir;
      for (const name of fs.list(dir)) fs.remove(`${dir}/${name}`);
      await fs.syncDir(dir);
      this.counts.dropped++;
      this.d.o.logger.info("placement.replica_removed", {
        applied: at,
        note: "the placement group's configuration leaves this node out",
      });
    } catch (err) {
      this.d.o.logger.warn("placement.replica_remove_failed", { error: errorMessage(err) });
    } finally {
      this.#dropping = false;
    }
  }
}

/**
 * After `member remove` of `id` (placement_group.ts): heartbeats until the group's configuration
 * no longer lists the node (true), or `timeoutMs` passed (false). True at once when no leader
 * names the group (an older one).
 */
async function awaitLeftGroup(p: PlacementNode, id: number, timeoutMs: number): Promise<boolean> {
  const clock = p.d.o.clock;
  const deadline = clock.nowMs() + timeoutMs;
  for (;;) {
    await p.heartbeats.beat();
    const t = p.group.told;
    if (t === undefined || (!t.voters.includes(id) && !t.learners.includes(id))) return true;
    if (clock.nowMs() >= deadline) return false;
    await new Promise<void>((resolve) => clock.setTimeout(resolve, ASK_MS / 2));
  }
}

/**
 * `member remove` of `id` committed: stopped right after, a placement voter would leave region 0
 * a voter short, and two such removals without a quorum for good, so the command waits (at most
 * PLACEMENT_GROUP_LEAVE_WAIT_MS) until the group has replaced it.
 */
export async function leaveGroup(p: PlacementNode, id: number): Promise<void> {
  if (await awaitLeftGroup(p, id, PLACEMENT_GROUP_LEAVE_WAIT_MS)) return;
  p.d.o.logger.warn("placement.group_leave_slow", {
    node: id,
    note: "the placement group still counts the removed node; stop it once it no longer does",
  });
}
