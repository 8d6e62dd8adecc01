/**
 * The placement service's operators, run by the regions' leaders on this node (docs/regions.md
 * "Operators executed"). The answer to each heartbeat carries a step order for each region this
 * node leads that has an operator in flight (heartbeat_sender.ts); the runner keeps the latest
 * order of each region and, every `intervalMs` (and at once when orders arrive), turns each into
 * at most one action on the region as it is then (operator_step.ts): a simple membership change
 * of the region, a leadership transfer, a wait (a learner catching up, a change pending), or
 * nothing (done, or stale: the region's epoch moved since the order was made). An order is
 * forgotten once acted on; the next one comes with the answer to the heartbeat that reports the
 * change, which the runner asks for as soon as the change has applied.
 *
 * A replica this node should no longer hold is dropped (region_removal.ts) when a heartbeat's
 * answer names it in a tombstone: the placement leader sends one once every voter of the
 * configuration without this node has applied it (held_confs.ts). Until then the replica stays,
 * even after applying its own removal: it no longer campaigns (it is not a voter in its own
 * configuration) but still answers votes and appends, since a voter that has not yet learned
 * the removal committed counts it in its quorum — with the leader gone, that voter and the
 * others may need its vote to elect the leader that commits the removal for them.
 */
import { StaleReplicas } from "./stale_replicas.ts";
import type { RegionDescriptor } from "../../region/descriptor.ts";
import { RepeatingCheck } from "./repeating_check.ts";
import type { Clock } from "../../platform/types.ts";
import type { Logger } from "../log/logger.ts";
import { ConfChangeTransition, ConfChangeType } from "../../raft/core/confchange/conf_change.ts";
import { OPERATOR_ORDERS_KEPT_MAX } from "../../limits_ops.ts";
import {
  type ChangeType,
  nextAction,
  type RegionNow,
  type StepOrder,
} from "../../placement/operator_step.ts";
import type { HeldRegion } from "../placement/placement_orders.ts";
import type { HostedRegion } from "./hosted_region.ts";
import { RegionNode } from "../../raft/multi/region_node.ts";
import { isLeftOut } from "./left_out.ts";

/** Whether a member counts as heard from recently, given its progress's flag. */
type HeardFrom = (node: number, heardRecently: boolean) => boolean;

export interface OperatorRunnerDeps {
  readonly region: (id: number) => HostedRegion | undefined;
  readonly regions: () => readonly HostedRegion[];
  readonly selfId: number;
  readonly transferLeader: (region: number, to: number) => void;
  /** Drops this node's replica of a region (region_removal.ts). */
  readonly removeReplica: (id: number, why: string) => void;
  /** Whether region `id`'s log holds, after `index`, a conf change adding this node again. */
  readonly addsSelfAfter: (id: number, index: number) => boolean;
  /** How long a replica left out of its configuration waits with no message before it drops. */
  readonly leftOutQuietMs: number;
  /** Asks for a heartbeat soon: a change ran, placement sends the next step in its answer. */
  readonly reportSoon: () => void;
  /** Member `node` of region `region` heard from recently, quiet regions included (driver). */
  readonly heard?: (region: number, node: number, heardRecently: boolean) => boolean;
  /** Placement's region at a key: a replica long without a leader is checked (stale_replicas). */
  readonly route?: (key: Uint8Array) => Promise<RegionDescriptor | undefined>;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly intervalMs: number;
}

/** The region as its leader sees it (operator_step.ts's input). */
export function regionNow(
  r: HostedRegion,
  self: number,
  heard: HeardFrom = (_, h) => h,
): RegionNow {
  const rn = r.group.rawNode;
  const st = rn.status();
  return {
    descriptor: r.kv.descriptor,
    self,
    isLeader: rn.isLeader,
    term: rn.term,
    busy: st.confState.votersOutgoing.length > 0 || st.leadTransferee !== 0,
    // Caught up and heard from within the election timeout (heartbeat_sender.ts `#caughtUp`).
    caughtUp: (id) => {
      const pr = st.progress.get(id);
      return pr !== undefined && pr.match >= st.commit && heard(id, pr.heardRecently);
    },
  };
}

const CONF_CHANGE: Record<ChangeType, ConfChangeType> = {
  learner: ConfChangeType.AddLearner,
  voter: ConfChangeType.AddNode,
  remove: ConfChangeType.RemoveNode,
};

/**
 * While this node holds a replica its own configuration leaves out, it asks for a heartbeat this
 * often (at most): placement's tombstone for it comes with the answer to the first heartbeat
 * after every voter reported applying the change (held_confs.ts), not an interval later.
 */
const LEFT_OUT_REPORT_MS = 1_000;

export class OperatorRunner {
  readonly #orders = new Map<number, StepOrder>();
  /** The conf version of each hosted region at the last check: a change is reported soon. */
  readonly #confSeen = new Map<number, number>();
  /** Left-out replicas here: their message count, and since when it has not moved. */
  readonly #quiet = new Map<number, { count: number; sinceMs: number }>();
  #leftOutReportedMs = Number.NEGATIVE_INFINITY;
  /** Regions whose change this node proposed: reported once its conf version moves. */
  readonly #awaiting = new Map<number, number>();
  readonly #repeat: RepeatingCheck;
  readonly counts = { received: 0, changes: 0, transfers: 0, done: 0, dropped: 0, removed: 0 };
  /** Why the last order was dropped (status, tests). */
  lastDrop = "";

  /** Replicas removed without knowing it, whose region merged away (stale_replicas.ts). */
  readonly stale: StaleReplicas | undefined;

  constructor(readonly d: OperatorRunnerDeps) {
    this.#repeat = new RepeatingCheck(d.clock, d.intervalMs, () => this.check());
    const quietMs = d.leftOutQuietMs, route = d.route;
    this.stale = route && new StaleReplicas({ ...d, quietMs, route });
  }

  start(): void {
    this.#repeat.start();
  }

  stop(): void {
    this.#repeat.stop();
  }

  /** Orders and tombstones from a heartbeat's answer; acted on at once. */
  receive(orders: readonly StepOrder[], tombstones: readonly HeldRegion[]): void {
    for (const o of orders) {
      // Region 1 is the cluster's membership: placement only trades its votes among members.
      if (o.regionId < 1 || (o.regionId === 1 && o.step.kind !== "promote")) continue;
      if (!this.#orders.has(o.regionId) && this.#orders.size >= OPERATOR_ORDERS_KEPT_MAX) break;
      this.#orders.set(o.regionId, o);
      this.counts.received++;
    }
    for (const t of tombstones) {
      const r = this.d.region(t.regionId);
      // Only while this node has applied no later configuration than placement's (re-added?).
      if (t.regionId <= 1 || r === undefined || r.kv.descriptor.epoch.confVer > t.confVer) {
        continue;
      }
      const listed = r.kv.descriptor.replicas.some((p) => p.nodeId === this.d.selfId);
      if (r.kv.descriptor.epoch.confVer === t.confVer && listed) continue;
      // A leader is in its configuration; an unsettled replica may be re-added by its own log.
      // Its log up to the tombstone's conf version is the history of that configuration.
      if (r.group.rawNode.isLeader || !this.#settled(r, t.confVer)) continue;
      this.d.removeReplica(t.regionId, `placement: removed at conf version ${t.confVer}`);
      this.counts.removed++;
    }
    this.check();
  }

  /**
   * Runs each order once; asks for a heartbeat soon after a change this node's leaders applied,
   * after a region here applied a conf change (placement learns what each voter applied from
   * heartbeats), and while a replica here is left out of its own configuration.
   */
  check(): void {
    if (this.#reviewHosted()) this.d.reportSoon();
    this.stale?.review();
    for (const [id, confVer] of this.#awaiting) {
      const r = this.d.region(id);
      if (r !== undefined && r.group.rawNode.isLeader) {
        if (r.kv.descriptor.epoch.confVer === confVer) continue;
        this.d.reportSoon();
      }
      this.#awaiting.delete(id); // applied, or no longer led here (the change may be lost)
    }
    for (const [id, order] of this.#orders) this.#run(id, order);
  }

  /**
   * One pass over the hosted regions: whether a heartbeat is due — a conf version moved since the
   * last pass, or a replica here is left out of its configuration (at most each
   * LEFT_OUT_REPORT_MS) — and the quiet left-out replicas dropped.
   */
  #reviewHosted(): boolean {
    let changed = false, leftOut = false;
    const hosted = new Set<number>();
    const now = this.d.clock.nowMs();
    for (const r of this.d.regions()) {
      if (r.id <= 1) continue;
      hosted.add(r.id);
      const d = r.kv.descriptor;
      const seen = this.#confSeen.get(r.id);
      if (seen !== d.epoch.confVer) {
        changed ||= seen !== undefined;
        this.#confSeen.set(r.id, d.epoch.confVer);
      }
      if (isLeftOut(d, this.d.selfId)) {
        leftOut = true;
        this.#dropIfQuiet(r, now);
      } else this.#quiet.delete(r.id);
    }
    for (const id of this.#confSeen.keys()) if (!hosted.has(id)) this.#confSeen.delete(id);
    for (const id of this.#quiet.keys()) if (!hosted.has(id)) this.#quiet.delete(id);
    if (leftOut && now - this.#leftOutReportedMs >= LEFT_OUT_REPORT_MS) {
      this.#leftOutReportedMs = now;
      return true;
    }
    return changed;
  }

  /**
   * Drops a replica left out of its configuration once no peer message has reached it for
   * `leftOutQuietMs` (many election timeouts): the fallback for a region placement cannot vouch
   * for (merged away since, so absent from its view) or a placement that does not answer. A voter
   * that still counts the replica and has no leader campaigns every election timeout or two, and
   * its vote requests keep the replica.
   */
  #dropIfQuiet(r: HostedRegion, now: number): void {
    if (!(r.group instanceof RegionNode)) return;
    const count = r.group.messagesIn;
    const q = this.#quiet.get(r.id);
    if (q === undefined || q.count !== count) {
      this.#quiet.set(r.id, { count, sinceMs: now });
      return;
    }
    if (now - q.sinceMs < this.d.leftOutQuietMs || r.group.rawNode.isLeader) return;
    if (!this.#settled(r)) return;
    this.#quiet.delete(r.id);
    const ms = this.d.leftOutQuietMs;
    this.d.removeReplica(
      r.id,
      `left out at conf version ${r.kv.descriptor.epoch.confVer}, quiet ${ms} ms`,
    );
    this.counts.removed++;
  }

  /**
   * The replica's descriptor says what its log says: it applied its commit index and its log
   * holds no unapplied conf change adding it again. After a crash that lost engine writes the
   * descriptor can be older than the log (a removal applied, the re-addition not yet), and a
   * replica whose log acknowledged entries as a voter must never be dropped.
   *
   * `knownThrough` is a tombstone's conf version, the index of the conf change that made it: the
   * region's log through it is committed and ends in a configuration without this node, so only
   * conf changes past it could add the node again. Entries of this log at or before it are that
   * history or entries that can never commit; a split child's version, inherited, is below its
   * log. (The simulator's regions seed 274: a voter removed while restarting held the leader's
   * demotion to learner unapplied, and was kept for good.)
   */
  #settled(r: HostedRegion, knownThrough = 0): boolean {
    const st = r.group.rawNode.status();
    const after = Math.max(r.kv.appliedIndex, knownThrough);
    return r.kv.appliedIndex >= st.commit && !this.d.addsSelfAfter(r.id, after);
  }

  #run(id: number, order: StepOrder): void {
    const r = this.d.region(id);
    if (r === undefined) return this.#drop(id, "region not hosted");
    if (r.kv.merge !== undefined) return this.#drop(id, "merging"); // its members stay
    const heard: HeardFrom = (node, h) => this.d.heard?.(id, node, h) ?? h;
    const a = nextAction(order, regionNow(r, this.d.selfId, heard));
    switch (a.kind) {
      case "wait":
        return;
      case "drop":
        return this.#drop(id, a.reason);
      case "done":
        this.counts.done++;
        this.#orders.delete(id);
        return this.d.reportSoon();
      case "transfer":
        this.#orders.delete(id);
        this.counts.transfers++;
        this.d.transferLeader(id, a.to);
        r.group.kick();
        this.d.logger.info("region.operator", { region: id, transferTo: a.to });
        return;
      case "change": {
        const changes = [{ type: CONF_CHANGE[a.type], nodeId: a.nodeId }];
        const cc = { transition: ConfChangeTransition.Auto, changes };
        if (!r.group.proposeConfChange(cc).ok) return; // another change pending: later
        this.#orders.delete(id);
        this.#awaiting.set(id, r.kv.descriptor.epoch.confVer);
        this.counts.changes++;
        r.group.kick();
        this.d.logger.info("region.operator", { region: id, type: a.type, node: a.nodeId });
        return;
      }
    }
  }

  #drop(id: number, reason: string): void {
    this.#orders.delete(id);
    this.counts.dropped++;
    this.lastDrop = reason;
  }

  /** Orders kept (status, tests). */
  get pending(): number {
    return this.#orders.size;
  }
}
