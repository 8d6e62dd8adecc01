/**
 * The placement leader's scheduler (docs/decisions/0014-regions.md §7). Each tick it retires
 * operators that finished, went stale (the region merged under them, or the node a step adds
 * died) or timed out, then proposes new ones — replica fixes first (region 1's voters among
 * them), then moves that let small neighbours merge (with `mergeBytes`), then region balance,
 * then leader balance — within the limits on operators in flight, and returns the step each
 * region leader should run now.
 *
 * Loads are counted once per tick and adjusted as operators are made, so one
 * tick does not pile every move onto the same emptiest node.
 */
import type { ClusterView, RegionInfo } from "./cluster_view.ts";
import { currentStep, inheritedMove, nodesTouched, type Operator, type Step } from "./operator.ts";
import { balanceRegions } from "./balancer.ts";
import { balanceLeaders } from "./leader_balancer.ts";
import { checkReplicas, type Proposal } from "./replica_checker.ts";
import { checkFirstRegion } from "./first_region_voters.ts";
import { checkMerges, inKeyOrder, mergingOnNodes, partnerMoved } from "./merge_checker.ts";
import { type ChoiceContext, usableNodes } from "./target_choice.ts";
import {
  PLACEMENT_LEADER_TOLERANCE,
  PLACEMENT_LEADER_TRANSFERS_PER_NODE_MAX,
  PLACEMENT_LEADER_TRANSFERS_PER_TICK_MAX,
  PLACEMENT_MERGE_ALIGNS_MAX,
} from "../limits_ops.ts";

export interface SchedulerOptions {
  /** Voters per region (`--replicas`). */
  readonly replicas: number;
  /** Operators in flight at once, cluster-wide. */
  readonly maxOperators: number;
  /** Operators adding or removing a replica on one node at once. */
  readonly maxMovesPerNode: number;
  /** An operator not finished after this long is dropped (and may be made again). */
  readonly operatorTimeoutMs: number;
  /** Replica counts may differ by this much between usable nodes. */
  readonly regionTolerance: number;
  /** Leaders per node may differ by this much (at least 1; default PLACEMENT_LEADER_TOLERANCE). */
  readonly leaderTolerance?: number;
  /** Leadership transfers started per tick (default PLACEMENT_LEADER_TRANSFERS_PER_TICK_MAX). */
  readonly maxLeaderTransfersPerTick?: number;
  /** Transfers in flight from or to one node (default PLACEMENT_LEADER_TRANSFERS_PER_NODE_MAX). */
  readonly maxLeaderTransfersPerNode?: number;
  /** Regions the replica checker looks at per tick, continuing where the last tick stopped. */
  readonly regionsCheckedPerTick: number;
  /**
   * Regions the scheduler leaves alone: on a node, region 1, whose configuration is the
   * cluster's membership (docs/membership.md) and which stays on every member.
   */
  readonly pinned?: readonly number[];
  /** Plans region 1's voters apart (first_region_voters.ts): a sharded cluster's nodes. */
  readonly firstRegionVoters?: boolean;
  /**
   * The nodes' `--region-merge-bytes` (0 or absent: merge is off). With it, the merge checker
   * aligns the replicas of adjacent regions whose sizes add up to at most this, so the nodes
   * can merge them (merge_checker.ts).
   */
  readonly mergeBytes?: number;
  /** The nodes' `--region-split-load` (0 or absent: off): hot regions are not merge-bound. */
  readonly splitLoad?: number;
  /** Merge alignments in flight at once (default PLACEMENT_MERGE_ALIGNS_MAX). */
  readonly maxMergeAligns?: number;
}

export interface PendingStep {
  readonly regionId: number;
  readonly step: Step;
}

export interface TickCounts {
  finished: number;
  stale: number;
  timedOut: number;
  /** Moves the merge checker started to align neighbours' replicas. */
  mergeAligns: number;
}

export class PlacementScheduler {
  readonly #ops = new Map<number, Operator>();
  /** Where the replica checker's patrol resumes, as an index into the view's regions. */
  #cursor = 0;
  /** Where the merge checker resumes, as an index into the regions' pairs in key order. */
  #mergeCursor = 0;
  /** Node id → leadership transfers in flight from or to it, counted each tick. */
  readonly #transfers = new Map<number, number>();
  readonly counts: TickCounts = { finished: 0, stale: 0, timedOut: 0, mergeAligns: 0 };
  /** The operators the last tick started and ended, and why each ended (the leader logs them). */
  readonly started: Operator[] = [];
  readonly ended: { op: Operator; why: string }[] = [];

  constructor(readonly view: ClusterView, readonly options: SchedulerOptions) {}

  operators(): Operator[] {
    return [...this.#ops.values()];
  }

  /** The operator in flight for region `id`, if any. */
  operator(id: number): Operator | undefined {
    return this.#ops.get(id);
  }

  tick(nowMs: number): PendingStep[] {
    this.#retire(nowMs);
    const ctx = this.#context(nowMs);
    this.#propose(ctx);
    const out: PendingStep[] = [];
    for (const op of this.#ops.values()) {
      const info = this.view.region(op.regionId);
      const step = info === undefined ? undefined : currentStep(op, info);
      if (step !== undefined && step !== "stale") out.push({ regionId: op.regionId, step });
    }
    return out;
  }

  #retire(nowMs: number): void {
    this.ended.length = this.started.length = 0;
    for (const [id, op] of this.#ops) {
      const info = this.view.region(id);
      const step = info === undefined ? "stale" : currentStep(op, info);
      let why: string;
      if (step === undefined) why = "finished";
      else if (step === "stale" || partnerMoved(op, this.view)) why = "stale";
      else if (this.#unreachable(op, step, info, nowMs)) why = `${step.kind} unreachable`;
      else if (nowMs - op.createdMs > this.options.operatorTimeoutMs) why = "timed out";
      else continue;
      if (why === "finished") this.counts.finished++;
      else if (why === "timed out") this.counts.timedOut++;
      else this.counts.stale++;
      this.#ops.delete(id);
      this.ended.push({ op, why });
    }
  }

  /**
   * A step whose target can no longer take it. A leadership transfer: the node is down or
   * draining, or a report made since the operator shows it lagging or unheard (it died). Adding
   * or promoting a replica: its node is down or draining (a learner there never catches up).
   * Left in flight, the order would be sent again every heartbeat and hold the region (no other
   * operator, such as the replacement of that dead node, could start) until the operator timed
   * out; dropped, the replica checker removes a learner left on that node.
   */
  #unreachable(op: Operator, step: Step, info: RegionInfo | undefined, nowMs: number): boolean {
    if (info === undefined) return false;
    switch (step.kind) {
      case "transfer-leader":
        if (!this.view.isUsable(step.to, nowMs)) return true;
        return info.reportedMs > op.createdMs && !info.caughtUp.includes(step.to);
      case "add-learner":
        return !this.view.isUsable(step.node, nowMs);
      case "promote":
        return step.promote !== 0 && !this.view.isUsable(step.promote, nowMs);
      case "remove":
        return false;
    }
  }

  #context(nowMs: number): ChoiceContext {
    const busy = new Map<number, number>();
    const loads = this.view.loads();
    this.#transfers.clear();
    for (const op of this.#ops.values()) {
      for (const n of nodesTouched(op)) busy.set(n, (busy.get(n) ?? 0) + 1);
      // A transfer in flight counts as done, so the leader balance does not overshoot.
      const info = this.view.region(op.regionId);
      const step = info === undefined ? undefined : currentStep(op, info);
      if (info === undefined || step === undefined || step === "stale") continue;
      if (step.kind !== "transfer-leader") continue;
      const from = loads.get(info.leader);
      const to = loads.get(step.to);
      if (from !== undefined) from.leaders--;
      if (to !== undefined) to.leaders++;
      for (const n of [info.leader, step.to]) {
        this.#transfers.set(n, (this.#transfers.get(n) ?? 0) + 1);
      }
    }
    return {
      view: this.view,
      loads,
      nowMs,
      busy,
      maxMovesPerNode: this.options.maxMovesPerNode,
      ...usableNodes(this.view, nowMs),
    };
  }

  #propose(ctx: ChoiceContext): void {
    this.#patrol(ctx);
    if (this.#ops.size >= this.options.maxOperators) return;
    const merging = this.#mergeCheck(ctx);
    const idle = () =>
      this.view.regions().filter((r) =>
        !this.#busy(r.descriptor.id) && !merging.has(r.descriptor.id)
      );
    if (this.#ops.size >= this.options.maxOperators) return;
    const regions = idle();
    const move = balanceRegions(ctx, regions, this.options.regionTolerance);
    if (move !== undefined) this.#start(ctx, move.info, move.proposal);
    if (this.#ops.size >= this.options.maxOperators) return;
    const o = this.options;
    const limits = {
      tolerance: o.leaderTolerance ?? PLACEMENT_LEADER_TOLERANCE,
      perTick: Math.min(
        o.maxLeaderTransfersPerTick ?? PLACEMENT_LEADER_TRANSFERS_PER_TICK_MAX,
        o.maxOperators - this.#ops.size,
      ),
      perNode: o.maxLeaderTransfersPerNode ?? PLACEMENT_LEADER_TRANSFERS_PER_NODE_MAX,
    };
    // The balance counts its transfers in ctx.loads itself (#start must not count them again).
    for (const lead of balanceLeaders(ctx, idle(), limits, this.#transfers)) {
      this.#start(ctx, lead.info, lead.proposal);
    }
  }

  /** Region 1's voters, then the replica checker over the next `regionsCheckedPerTick` regions. */
  #patrol(ctx: ChoiceContext): void {
    const first = this.options.firstRegionVoters && !this.#ops.has(1) && this.view.region(1);
    const p = first && checkFirstRegion(ctx, first, this.options.replicas);
    if (first && p) this.#start(ctx, first, p);
    const all = this.view.regions();
    const n = Math.min(all.length, this.options.regionsCheckedPerTick);
    for (let i = 0; i < n && this.#ops.size < this.options.maxOperators; i++) {
      this.#cursor = this.#cursor >= all.length - 1 ? 0 : this.#cursor + 1;
      const info = all[this.#cursor];
      if (this.#busy(info.descriptor.id)) continue;
      const p = inheritedMove(this.#ops.values(), info) ??
        checkReplicas(ctx, info, this.options.replicas);
      if (p !== undefined) this.#start(ctx, info, p);
    }
  }

  /**
   * The merge checker, with merge on: starts alignment moves within the limits, and returns the
   * regions the nodes are about to merge (their replicas already match) and the neighbours that
   * alignments in flight copy, which balance leaves be (a move there would undo the alignment).
   */
  #mergeCheck(ctx: ChoiceContext): Set<number> {
    const o = this.options;
    const mergeBytes = o.mergeBytes ?? 0;
    if (mergeBytes <= 0) return new Set();
    const ordered = inKeyOrder(this.view);
    const partners = new Set<number>();
    for (const op of this.#ops.values()) {
      if (op.partner !== undefined) partners.add(op.partner.regionId);
    }
    const aligning = [...this.#ops.values()].filter((op) => op.partner !== undefined).length;
    // One new alignment per pass, as the region balance makes one move: each copies a region.
    const room = Math.min(
      1,
      (o.maxMergeAligns ?? PLACEMENT_MERGE_ALIGNS_MAX) - aligning,
      o.maxOperators - this.#ops.size,
    );
    const splitLoad = o.splitLoad ?? 0, replicas = o.replicas;
    const limits = { mergeBytes, replicas, pairsChecked: o.regionsCheckedPerTick, splitLoad };
    const free = (id: number) => !this.#busy(id) && !partners.has(id);
    const found = checkMerges(ctx, ordered, limits, free, { cursor: this.#mergeCursor, room });
    this.#mergeCursor = found.cursor;
    for (const a of found.aligns) {
      this.#start(ctx, a.info, a.proposal);
      this.counts.mergeAligns++;
      if (a.proposal.partner !== undefined) partners.add(a.proposal.partner.regionId);
    }
    const leave = mergingOnNodes(ordered, mergeBytes, splitLoad);
    for (const id of partners) leave.add(id);
    return leave;
  }

  #busy(id: number): boolean { // an operator in flight, or pinned
    return this.#ops.has(id) || this.options.pinned?.includes(id) === true;
  }

  #start(ctx: ChoiceContext, info: RegionInfo, p: Proposal): void {
    const op: Operator = {
      regionId: info.descriptor.id,
      kind: p.kind,
      reason: p.reason,
      steps: p.steps,
      version: info.descriptor.epoch.version,
      start: info.descriptor.start,
      end: info.descriptor.end,
      createdMs: ctx.nowMs,
      partner: p.partner,
    };
    this.#ops.set(op.regionId, op);
    this.started.push(op);
    for (const n of nodesTouched(op)) ctx.busy.set(n, (ctx.busy.get(n) ?? 0) + 1);
    // Count the move now so the next choice in this tick sees it.
    for (const s of op.steps) {
      const load = (id: number) => ctx.loads.get(id);
      if (s.kind === "add-learner" || s.kind === "remove") {
        const l = load(s.node);
        if (l !== undefined) l.replicas += s.kind === "remove" ? -1 : 1;
      } else if (s.kind === "transfer-leader" && p.kind !== "leader") {
        const to = load(s.to);
        const from = load(info.leader);
        if (to !== undefined) to.leaders++;
        if (from !== undefined) from.leaders--;
      }
    }
  }
}
