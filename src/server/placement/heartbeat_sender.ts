/**
 * Sends this node's heartbeat to the placement leader every interval
 * (`heartbeatMs`, docs/operations.md): its id, address, zone, capacity and used
 * bytes, and a report of each region it leads (size, leader, replicas, epoch,
 * the replicas caught up). One heartbeat is in flight at a time; a failed one
 * is counted and logged, and the next interval tries again. The same timer
 * runs the scheduler's pass on the placement leader.
 *
 * Capacity is 0 (unknown): the platform layer has no disk statistics, so the
 * placement service balances on used bytes (the engine's size) and replica
 * counts only.
 */
import {
  PLACEMENT_HELD_PER_HEARTBEAT_MAX,
  PLACEMENT_REPORTS_PER_HEARTBEAT_MAX,
} from "../../limits_ops.ts";
import type { HeartbeatOrders, HeldRegion } from "./placement_orders.ts";
import type { RegionCatalog } from "../../region/region_catalog.ts";
import type { Db } from "../../storage/db.ts";
import type { TimerId } from "../../platform/types.ts";
import { PLACEMENT_REGION } from "./placement_options.ts";
import type { NodeHeartbeat, RegionReportInput } from "./placement_rpc.ts";
import type { PlacementNode } from "./placement_node.ts";

const EMPTY = new Uint8Array(0);

/** The engine's bytes: its tables on every level and its memtables (a node's used bytes). */
export function engineBytes(db: Db): number {
  const stats = db.stats();
  let bytes = stats.memtableBytes;
  for (const level of stats.levels) bytes += level.bytes;
  return bytes;
}

export class HeartbeatSender {
  #timer: TimerId | undefined;
  #inFlight = false;
  #stopped = true;
  /** Heartbeats sent, answered and failed; the last error, for status. */
  readonly counts = { sent: 0, answered: 0, failed: 0 };
  lastError = "";
  /** Receives the operator steps and tombstones of each answer (region_operators.ts). */
  onOrders: (orders: HeartbeatOrders) => void = () => {};
  /** Where the list of held regions resumes when a node hosts more than one heartbeat lists. */
  #heldCursor = 0;
  #soon: TimerId | undefined;
  #seenLeader = 0;

  constructor(readonly node: PlacementNode, readonly catalog: () => RegionCatalog | undefined) {}

  start(): void {
    this.#stopped = false;
    this.#schedule();
    // Known to placement at once, not an interval later: a node that just joined is a target
    // for replicas and for the placement group (placement_group_plan.ts) only once heard from.
    this.soon(0);
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) this.node.d.o.clock.clearTimeout(this.#timer);
    if (this.#soon !== undefined) this.node.d.o.clock.clearTimeout(this.#soon);
    this.#timer = undefined;
    this.#soon = undefined;
  }

  /**
   * One extra heartbeat after `delayMs` (at most one pending): a region leader that ran an
   * operator's step reports the change at once and gets the next step, rather than an interval
   * later.
   */
  soon(delayMs: number): void {
    if (this.#stopped || this.#soon !== undefined) return;
    this.#soon = this.node.d.o.clock.setTimeout(() => {
      this.#soon = undefined;
      void this.beat();
    }, delayMs);
  }

  /**
   * Region 0's leader as this member sees it now: a new one gets a heartbeat at once. It knows no
   * node's applied configurations (held_confs.ts keeps them in memory, per term), and its
   * tombstones wait for every voter's report: a removed replica waited out two heartbeat
   * intervals for its tombstone (the simulator's regions seed 119).
   */
  leaderSeen(lead: number): void {
    if (lead !== 0 && lead !== this.#seenLeader) this.soon(0);
    this.#seenLeader = lead;
  }

  #schedule(): void {
    if (this.#stopped) return;
    const o = this.node.d.o;
    this.#timer = o.clock.setTimeout(() => {
      this.#timer = undefined;
      this.node.tick();
      void this.beat();
      this.#schedule();
    }, o.placement.heartbeatMs);
  }

  /** Sends one heartbeat now (skipped while one is in flight). */
  async beat(): Promise<void> {
    if (this.#inFlight) return;
    this.#inFlight = true;
    this.counts.sent++;
    try {
      const a = await this.node.handle({ kind: "heartbeat", heartbeat: this.heartbeat() });
      this.counts.answered++;
      if (a.kind === "done" && a.orders?.group !== undefined) this.node.group.heard(a.orders.group);
      if (a.kind === "done" && a.orders !== undefined) this.onOrders(a.orders);
      this.lastError = "";
    } catch (err) {
      this.counts.failed++;
      const error = err instanceof Error ? err.message : String(err);
      if (error !== this.lastError) {
        this.node.d.o.logger.warn("placement.heartbeat_failed", { error });
      }
      this.lastError = error;
    } finally {
      this.#inFlight = false;
    }
  }

  heartbeat(): NodeHeartbeat {
    const d = this.node.d;
    const o = d.o;
    const reports = this.reports();
    return {
      nodeId: o.id,
      address: d.addressOf(o.id) ?? o.peers.get(o.id) ?? "",
      zone: o.placement.zone,
      capacityBytes: 0,
      usedBytes: d.usedBytes(),
      reports,
      held: this.held(),
      terms: reports.map((r) => this.node.d.driver.region(r.descriptor.id)?.rawNode.term ?? 0),
      catchingUp: this.catchingUp(),
      placement: {
        applied: this.node.member ? this.node.state.appliedIndex : 0,
        catchingUp: this.node.rejoin.catchingUp,
      },
    };
  }

  /**
   * The regions whose replica here may not vote yet (created from a leader's message and not
   * caught up): placement holds their promotion to voter until then. A voter that cannot vote
   * leaves its region one failure short, and two of them left a region of four voters with no
   * majority that could vote once a third died (the 1M-key e2e run).
   */
  catchingUp(): number[] {
    const driver = this.node.d.driver;
    const out: number[] = [];
    for (const id of driver.regionIds()) {
      if (id === PLACEMENT_REGION || id === 1) continue;
      if (driver.region(id)?.suppressVotes !== true) continue;
      out.push(id);
      if (out.length >= PLACEMENT_HELD_PER_HEARTBEAT_MAX) break;
    }
    return out;
  }

  /**
   * The regions this node hosts other than region 1, with the conf version each applied (at
   * most PLACEMENT_HELD_PER_HEARTBEAT_MAX, continuing where the last heartbeat stopped).
   */
  held(): HeldRegion[] {
    const catalog = this.catalog();
    if (catalog === undefined) return [];
    // Replicas left out of their configuration too: placement's tombstones are for them.
    const hosted = catalog.hosted?.() ?? catalog.regionsOverlapping(EMPTY, EMPTY);
    const all = hosted.filter((d) => d.id !== PLACEMENT_REGION && d.id !== 1);
    const n = Math.min(all.length, PLACEMENT_HELD_PER_HEARTBEAT_MAX);
    const out: HeldRegion[] = [];
    for (let i = 0; i < n; i++) {
      const d = all[(this.#heldCursor + i) % all.length];
      out.push({ regionId: d.id, confVer: d.epoch.confVer });
    }
    this.#heldCursor = all.length === 0 ? 0 : (this.#heldCursor + n) % all.length;
    return out;
  }

  /** A report of each region this node leads (the first PLACEMENT_REPORTS_PER_HEARTBEAT_MAX). */
  reports(): RegionReportInput[] {
    const catalog = this.catalog();
    if (catalog === undefined) return [];
    const self = this.node.d.o.id;
    const out: RegionReportInput[] = [];
    for (const desc of catalog.regionsOverlapping(EMPTY, EMPTY)) {
      if (out.length >= PLACEMENT_REPORTS_PER_HEARTBEAT_MAX) break;
      if (desc.id === PLACEMENT_REGION || catalog.leaderOf(desc.id) !== self) continue;
      const r = catalog.report(desc.id);
      if (r === undefined || !r.descriptor.replicas.some((p) => p.nodeId === self)) continue;
      out.push({
        descriptor: r.descriptor,
        leader: self,
        sizeBytes: r.approximateBytes,
        // Counted with `--region-split-load` only (region_load.ts): placement's merge checker
        // leaves hot regions to the leader balance.
        writesPerSec: Math.round(r.writesPerSecond ?? 0),
        caughtUp: this.#caughtUp(desc.id),
      });
    }
    return out;
  }

  /**
   * Members whose log matches the leader's commit index and that the leader heard from within
   * the election timeout. A member that died keeps its match while the region has no writes:
   * without the second test placement took it for a live voter and the leader balance handed
   * it leaderships it could never take (regions_e2e_test.ts).
   */
  #caughtUp(region: number): number[] {
    const r = this.node.d.driver.region(region);
    const st = r?.rawNode.status();
    if (r === undefined || st === undefined) return [];
    const out: number[] = [];
    for (const [id, pr] of st.progress) {
      if (pr.match >= st.commit && r.heardFrom(id, pr.heardRecently)) out.push(id);
    }
    return out.sort((a, b) => a - b);
  }
}
