/**
 * The placement leader changes its own group's membership (docs/regions.md "The placement group
 * follows the cluster"): each scheduler pass it asks `planGroup` (src/placement/) for the next
 * change of region 0 and proposes it on region 0 itself — a learner added, promoted in a joint
 * change with the removal of the voter it replaces, a leadership transfer before the leader
 * would remove itself. Region 0's configuration is its Raft state (the log's conf changes and
 * snapshot markers), so nothing else stores it.
 *
 * It also tells each node what the group is, in the answer to its heartbeat (`GroupAnswer`):
 * a node creates region 0 only while the newest answer it got lists it (placement_rejoin.ts),
 * and drops a replica the configuration left out once every voter applied that configuration
 * (`settled`): a voter that applied the change before the others still counted the removed
 * replica in their quorum, and dropped, it could not give them the vote they may need (the same
 * rule as a KV region's tombstones, docs/regions.md "Removed replicas").
 */
import {
  type ConfChange,
  ConfChangeTransition,
  ConfChangeType,
} from "../../raft/core/confchange/conf_change.ts";
import type { MultiRaftDriver } from "../../raft/multi/driver.ts";
import {
  type GroupAction,
  type GroupConf,
  planGroup,
} from "../../placement/placement_group_plan.ts";
import type { PlacementState } from "../../placement/placement_state.ts";
import { PLACEMENT_VOTERS } from "../../limits_ops.ts";
import type { Logger } from "../log/logger.ts";
import { PLACEMENT_REGION } from "./placement_options.ts";
import { type LeaderContext, PlacementLeader } from "./placement_leader.ts";
import type { PlacementNode } from "./placement_node.ts";
import { firstRegionVoters } from "../node/options.ts";

/** Region 0 on a node, as its heartbeat says. */
export interface GroupHeard {
  /** Region 0's applied index there (0: it holds none). */
  readonly applied: number;
  /** Its replica may not vote yet (recreated, not caught up: placement_rejoin.ts). */
  readonly catchingUp: boolean;
}

/** Region 0's configuration, in the answer to a heartbeat. */
export interface GroupAnswer {
  /** The leader's applied index when it answered (what the configuration is as of). */
  readonly index: number;
  /** Voters (both sides of a joint configuration) and learners. */
  readonly voters: readonly number[];
  readonly learners: readonly number[];
  /** Every voter reported applying the last conf change: a replica left out may go. */
  readonly settled: boolean;
}

export interface PlacementGroupDeps {
  readonly self: number;
  readonly driver: MultiRaftDriver;
  readonly state: PlacementState;
  readonly logger: Logger;
  /** The index of the last conf change region 0 applied here (an upper bound after a restart). */
  readonly confIndex: () => number;
}

export class PlacementGroup {
  /** Per node, region 0 as its last heartbeat to this leader said. */
  readonly heard = new Map<number, GroupHeard>();
  /** Changes proposed (and refused by Raft), and leadership transfers asked. */
  readonly counts = { proposed: 0, refused: 0, transfers: 0 };
  #lastRefusal = "";

  constructor(readonly d: PlacementGroupDeps) {}

  #conf(): GroupConf | undefined {
    const st = this.d.driver.region(PLACEMENT_REGION)?.rawNode.status();
    if (st === undefined) return undefined;
    const cs = st.confState;
    const voters = [...new Set([...cs.voters, ...cs.votersOutgoing])].sort((a, b) => a - b);
    const learners = [...new Set([...cs.learners, ...cs.learnersNext])].sort((a, b) => a - b);
    return { voters, learners, joint: cs.votersOutgoing.length > 0 };
  }

  /** The next change, as planned now (undefined: none, or this node does not lead). */
  plan(): GroupAction | undefined {
    const r0 = this.d.driver.region(PLACEMENT_REGION), rn = r0?.rawNode;
    const conf = this.#conf();
    if (r0 === undefined || rn === undefined || !rn.isLeader || conf === undefined) {
      return undefined;
    }
    const st = rn.status();
    const heard = (id: number) => r0.heardFrom(id, st.progress.get(id)?.heardRecently === true);
    const view = this.d.state.view;
    const now = this.d.state.appliedMs;
    // Every member of region 1, voter or learner (in a sharded cluster most members are learners).
    const replicas = view.region(1)?.descriptor.replicas;
    return planGroup({
      self: this.d.self,
      conf,
      members: replicas?.map((p) => p.nodeId),
      firstRegionVoters: replicas?.filter((p) => p.role === "voter").map((p) => p.nodeId),
      usable: (id) => {
        if (view.node(id)?.draining === true) return false;
        // Heard by region 0's own Raft within an election timeout: up, however late its
        // heartbeat. Under load (the 1M-key e2e) heartbeats of nodes serving writes lagged past
        // the replace timeout, and the group started replacing live voters 1 and 2.
        if (id === this.d.self || heard(id)) return true;
        return view.isUsable(id, now);
      },
      zone: (id) => view.node(id)?.zone ?? "",
      caughtUp: (id) => {
        if (id === this.d.self) return true;
        const pr = st.progress.get(id);
        return pr !== undefined && pr.match >= st.commit && heard(id);
      },
      catchingUp: (id) => this.heard.get(id)?.catchingUp === true,
      voters: PLACEMENT_VOTERS,
    });
  }

  /** One pass (the leader's scheduler tick): proposes the planned change, when there is one. */
  pass(): void {
    const a = this.plan();
    if (a === undefined) return;
    const driver = this.d.driver;
    if (a.kind === "transfer-leader") {
      this.counts.transfers++;
      driver.transferLeader(PLACEMENT_REGION, a.to);
      this.d.logger.info("placement.group_transfer", { to: a.to, reason: a.reason });
      driver.loop?.kick();
      return;
    }
    const r = driver.proposeConfChange(PLACEMENT_REGION, confChangeOf(a));
    if (r === undefined || !r.ok) {
      this.counts.refused++;
      const reason = r === undefined ? "region 0 is gone" : r.reason;
      if (reason !== this.#lastRefusal) {
        this.d.logger.warn("placement.group_change_refused", { change: a.kind, reason });
      }
      this.#lastRefusal = reason;
      return;
    }
    this.#lastRefusal = "";
    this.counts.proposed++;
    this.d.logger.info("placement.group_change", { ...a });
    driver.loop?.kick();
  }

  /** Region 0's configuration for a heartbeat's answer (undefined while it is not known). */
  answer(): GroupAnswer | undefined {
    const conf = this.#conf();
    if (conf === undefined) return undefined;
    const at = this.d.confIndex();
    const applied = (id: number) =>
      id === this.d.self ? this.d.state.appliedIndex : this.heard.get(id)?.applied ?? 0;
    const settled = !conf.joint && conf.voters.every((id) => applied(id) >= at);
    return {
      index: this.d.state.appliedIndex,
      voters: conf.voters,
      learners: conf.learners,
      settled,
    };
  }
}

/** The leader work of a term `node` leads region 0 in, with its group's changes. */
export function newLeader(
  node: PlacementNode,
  bootstrap: LeaderContext["bootstrap"],
): PlacementLeader {
  const o = node.d.o;
  return new PlacementLeader({
    state: node.state,
    proposer: node.proposer,
    replicas: o.placement.replicas,
    mergeBytes: o.regionMergeBytes,
    splitLoad: o.regionSplitLoad,
    firstRegionVoters: firstRegionVoters(o) !== undefined,
    counts: node.tsoCounts,
    confirm: () => node.check.confirm(),
    nowMs: () => o.clock.wallMs(),
    bootstrap,
    logger: o.logger,
    group: new PlacementGroup({
      self: o.id,
      driver: node.d.driver,
      state: node.state,
      logger: o.logger,
      confIndex: () => node.group.confIndex,
    }),
  });
}

/** The Raft change that makes an action's membership change. */
export function confChangeOf(a: Exclude<GroupAction, { kind: "transfer-leader" }>): ConfChange {
  const T = ConfChangeType;
  if (a.kind === "add-learner") {
    return {
      transition: ConfChangeTransition.Auto,
      changes: [{ type: T.AddLearner, nodeId: a.node }],
    };
  }
  if (a.kind === "remove") {
    return {
      transition: ConfChangeTransition.Auto,
      changes: [{ type: T.RemoveNode, nodeId: a.node }],
    };
  }
  if (a.remove === 0) {
    return {
      transition: ConfChangeTransition.Auto,
      changes: [{ type: T.AddNode, nodeId: a.node }],
    };
  }
  // Two voters change: joint consensus, left by Raft once it commits (both majorities agree).
  return {
    transition: ConfChangeTransition.JointImplicit,
    changes: [{ type: T.AddNode, nodeId: a.node }, { type: T.RemoveNode, nodeId: a.remove }],
  };
}
