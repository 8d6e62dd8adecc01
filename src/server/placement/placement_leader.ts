/**
 * What the placement leader does (decision 0014 §7; docs/regions.md "The
 * placement service on the node"): it bootstraps the group's state once,
 * proposes the heartbeats and region reports nodes send it, marks nodes
 * draining, runs the timestamp oracle from the persisted bound, runs the
 * scheduler each heartbeat interval to start operators, and answers each
 * node's heartbeat with the steps of the regions it leads and the tombstones
 * of replicas it still hosts after their removal (operator_orders.ts); the
 * region's leader runs the steps (region_operators.ts).
 *
 * One PlacementLeader lives per term this node leads region 0; a new one
 * starts its oracle from the bound it reads by proposing `persist-tso-bound 0`
 * (the outcome is the bound after everything committed before its term), so
 * its first timestamp is above every one an earlier leader handed out.
 */
import { ErrorCode } from "../../gen/tinykv/v1/tinykv_pb.ts";
import type { BootstrapNode, PlacementCommandBody } from "../../placement/placement_commands.ts";
import type { PlacementOutcome, PlacementState } from "../../placement/placement_state.ts";
import { type PendingStep, PlacementScheduler } from "../../placement/scheduler.ts";
import type { RegionDescriptor } from "../../region/descriptor.ts";
import { TimestampOracle } from "../../txn/timestamp.ts";
import { type TimestampRange, TimestampService } from "../../txn/timestamp_service.ts";
import {
  PLACEMENT_MOVES_PER_NODE_MAX,
  PLACEMENT_OPERATOR_TIMEOUT_MS,
  PLACEMENT_PLANNED_OPERATORS_MAX,
} from "../../limits_ops.ts";
import { HeldConfs } from "../../placement/held_confs.ts";
import { ordersFor, tombstonesFor } from "../../placement/operator_orders.ts";
import type { HeartbeatOrders } from "./placement_orders.ts";
import { ServiceError } from "../kv_service.ts";
import type { PlacementProposer } from "./placement_proposer.ts";
import type { NodeHeartbeat } from "./placement_rpc.ts";
import type { PlacementGroup } from "./placement_group.ts";
import type { Operator } from "../../placement/operator.ts";
import type { LogFields, Logger } from "../log/logger.ts";

/** What the placement leaders of this node served (kept across terms, for metrics). */
export interface LeaderCounts {
  requests: number;
  timestamps: number;
  persists: number;
  heartbeats: number;
  /** Region reports the state machine refused, and the last reason. */
  reportsRefused: number;
  lastRefusal: string;
}

export interface LeaderContext {
  readonly state: PlacementState;
  readonly proposer: PlacementProposer;
  readonly replicas: number;
  /** The node's `--region-merge-bytes` (0: merge off): the scheduler aligns small neighbours. */
  readonly mergeBytes: number;
  /** The node's `--region-split-load` (0: off): regions written this hot are not merge-bound. */
  readonly splitLoad: number;
  /** Region 1 keeps `replicas` voters, its other members learners (first_region_voters.ts). */
  readonly firstRegionVoters?: boolean;
  readonly counts: LeaderCounts;
  /** Resolves once a quorum confirmed this node still leads (leadership_check.ts). */
  readonly confirm: () => Promise<void>;
  readonly nowMs: () => number;
  /** The nodes and region 1 a new cluster's placement state starts with. */
  readonly bootstrap: () => { nodes: BootstrapNode[]; region: RegionDescriptor };
  /** Changes region 0's own membership, and says what it is in heartbeat answers. */
  readonly group?: PlacementGroup;
  /** Where operators started and ended are logged (docs/logging.md). */
  readonly logger?: Logger;
}

/** An operator's fields in a log line: its region, kind, reason and steps. */
function operatorFields(op: Operator): LogFields {
  const steps = op.steps.map((s) =>
    s.kind === "transfer-leader"
      ? `transfer ${s.to}`
      : s.kind === "promote"
      ? `promote ${s.promote} demote ${s.demote}`
      : `${s.kind} ${s.node}`
  );
  return { region: op.regionId, kind: op.kind, reason: op.reason, steps: steps.join(", ") };
}

export function newLeaderCounts(): LeaderCounts {
  return {
    requests: 0,
    timestamps: 0,
    persists: 0,
    heartbeats: 0,
    reportsRefused: 0,
    lastRefusal: "",
  };
}

/** The scheduler's limits (decision 0014 §7; docs/limits.md). */
const SCHEDULER = {
  maxOperators: PLACEMENT_PLANNED_OPERATORS_MAX,
  maxMovesPerNode: PLACEMENT_MOVES_PER_NODE_MAX,
  operatorTimeoutMs: PLACEMENT_OPERATOR_TIMEOUT_MS,
  regionTolerance: 2,
  regionsCheckedPerTick: 1_024,
  pinned: [1],
};

/** Heartbeats between two sweeps of the held conf versions of regions gone. */
const HELD_PRUNE_EVERY = 256;

export class PlacementLeader {
  readonly scheduler: PlacementScheduler;
  /** Resolves once the state is bootstrapped and the oracle has its bound. */
  readonly ready: Promise<TimestampService>;
  /** Its start failed: the node starts another while it still leads. */
  failed = false;
  /** The steps region leaders are to run now (sent with the answers to their heartbeats). */
  planned: PendingStep[] = [];
  /** Step orders and tombstones sent with heartbeat answers. */
  readonly sent = { orders: 0, tombstones: 0 };
  /** Per node, the regions its last heartbeat listed as catching up (promotions wait for them). */
  readonly catchingUp = new Map<number, ReadonlySet<number>>();
  /** What each node said it applied (tombstones wait for every voter: held_confs.ts). */
  readonly held = new HeldConfs();

  constructor(readonly c: LeaderContext) {
    this.scheduler = new PlacementScheduler(c.state.view, {
      ...SCHEDULER,
      replicas: c.replicas,
      mergeBytes: c.mergeBytes,
      splitLoad: c.splitLoad,
      firstRegionVoters: c.firstRegionVoters,
    });
    this.ready = this.#start();
    this.ready.catch(() => this.failed = true);
  }

  async #start(): Promise<TimestampService> {
    if (!this.c.state.bootstrapped) {
      const b = this.c.bootstrap();
      const o = await this.c.proposer.submit({ kind: "bootstrap", ...b });
      // Refused only when another leader bootstrapped it first: what matters is that it is.
      if (o.kind === "refused" && !this.c.state.bootstrapped) throw refusal(o.reason);
    }
    const read = await this.c.proposer.submit({ kind: "persist-tso-bound", bound: 0 });
    if (read.kind !== "tso-bound") throw refusal(`reading the timestamp bound: ${read.kind}`);
    const oracle = new TimestampOracle(read.bound);
    return new TimestampService(oracle, (bound) => this.#persist(bound), this.c.nowMs);
  }

  async #persist(bound: number): Promise<void> {
    this.c.counts.persists++;
    const o = await this.c.proposer.submit({ kind: "persist-tso-bound", bound });
    if (o.kind !== "tso-bound" || o.bound < bound) throw refusal(`bound not persisted: ${o.kind}`);
  }

  async timestamps(count: number): Promise<TimestampRange> {
    const service = await this.ready;
    this.c.counts.requests++;
    const range = await service.next(count);
    await this.c.confirm(); // drawn, then confirmed: a deposed leader's draw is never answered
    this.c.counts.timestamps += range.count;
    return range;
  }

  /**
   * Proposes a node's heartbeat, then its region reports (each its own command); answers with
   * the steps of the regions it leads and the tombstones of the replicas it should drop.
   */
  async heartbeat(h: NodeHeartbeat): Promise<HeartbeatOrders> {
    await this.ready;
    const { reports, ...node } = h;
    check(await this.c.proposer.submit({ kind: "heartbeat", ...node }));
    this.c.counts.heartbeats++;
    const sent = reports.map((r, i) =>
      this.c.proposer.submit({ kind: "region-report", ...r, term: h.terms?.[i] ?? 0 })
    );
    // A refused report (a region id placement never allocated: splits choose their own ids
    // until they ask placement) is counted, not the sender's failure: its heartbeat applied.
    for (const o of await Promise.all(sent)) {
      if (o.kind !== "refused") continue;
      this.c.counts.reportsRefused++;
      this.c.counts.lastRefusal = o.reason;
    }
    const ids = reports.map((r) => r.descriptor.id);
    this.catchingUp.set(h.nodeId, new Set(h.catchingUp ?? []));
    const notYet = (region: number, node: number) =>
      this.catchingUp.get(node)?.has(region) === true;
    const orders = ordersFor(this.scheduler, h.nodeId, ids, h.terms, notYet);
    const held = (h.held ?? []).filter((x) => x.regionId !== 1); // region 1: the cluster's members
    this.held.record(h.nodeId, held);
    // Regions merged away: swept now and then, not on every heartbeat (a pass over them all).
    if (this.c.counts.heartbeats % HELD_PRUNE_EVERY === 0) {
      this.held.prune((id) => this.scheduler.view.region(id) !== undefined);
    }
    const tombstones = tombstonesFor(this.scheduler, h.nodeId, held, this.held);
    this.sent.orders += orders.length;
    this.sent.tombstones += tombstones.length;
    const g = this.c.group;
    if (g === undefined) return { orders, tombstones };
    g.heard.set(h.nodeId, h.placement ?? { applied: 0, catchingUp: false });
    // What a heartbeat says (a learner caught up, region 1's members changed) moves the group on
    // now rather than at the next pass: `member remove` waits for it.
    if (this.c.state.bootstrapped) g.pass();
    // Only a sender that says where region 0 is reads the group in the answer: an older node
    // refuses an answer with bytes it does not know.
    const group = h.placement === undefined ? undefined : g.answer();
    return group === undefined ? { orders, tombstones } : { orders, tombstones, group };
  }

  /** `count` new region ids from the group's counter (a split's child). */
  async allocate(count: number): Promise<number> {
    await this.ready;
    const o = await this.c.proposer.submit({ kind: "allocate-ids", count });
    if (o.kind !== "ids") throw refusal(`allocating ids: ${o.kind}`);
    return o.first;
  }

  async drain(nodeId: number): Promise<void> {
    await this.ready;
    check(await this.c.proposer.submit({ kind: "drain-node", nodeId }));
  }

  /** One scheduler pass at the group's clock (its applied time, the same on every replica). */
  tick(): void {
    if (!this.c.state.bootstrapped) return;
    const s = this.scheduler;
    this.planned = s.tick(this.c.state.appliedMs);
    const log = this.c.logger;
    for (const op of s.started) log?.info("placement.operator_start", operatorFields(op));
    for (const { op, why } of s.ended) {
      const ageMs = this.c.state.appliedMs - op.createdMs;
      log?.info("placement.operator_end", { ...operatorFields(op), why, ageMs });
    }
    this.c.group?.pass();
  }

  /** A command the leader proposes itself, checked (for tests and tools). */
  submit(body: PlacementCommandBody): Promise<PlacementOutcome> {
    return this.c.proposer.submit(body);
  }
}

function refusal(reason: string): ServiceError {
  return new ServiceError(ErrorCode.FAILED_PRECONDITION, `placement: ${reason}`);
}

/** A refused command is the caller's error; an ignored report (a newer one is held) is not. */
function check(o: PlacementOutcome): void {
  if (o.kind === "refused") throw new ServiceError(ErrorCode.INVALID_ARGUMENT, o.reason);
}
