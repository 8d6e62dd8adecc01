/**
 * A model of a cluster for the placement scheduler's tests: nodes that
 * heartbeat (or are dead), regions whose leaders report and carry out the
 * steps the scheduler hands out, at once and the way the region's Raft group
 * would (a joint change swaps promote and demote atomically; a leader transfer
 * needs a live voter; a region with no live majority does nothing).
 */
import {
  type RegionDescriptor,
  type Replica,
  splitDescriptor,
} from "../../src/region/descriptor.ts";
import { ClusterView } from "../../src/placement/cluster_view.ts";
import { PlacementScheduler, type SchedulerOptions } from "../../src/placement/scheduler.ts";
import type { Step } from "../../src/placement/operator.ts";

export const TICK_MS = 1_000;

interface ModelRegion {
  d: RegionDescriptor;
  leader: number;
}

export class ModelCluster {
  readonly zones = new Map<number, string>();
  readonly dead = new Set<number>();
  readonly regions: ModelRegion[] = [];
  /** Region id → the size its leader reports (1 MiB when not set). */
  readonly sizes = new Map<number, number>();
  readonly view: ClusterView;
  readonly scheduler: PlacementScheduler;
  nowMs = 0;
  /** Steps the region's leader refused: they would have cost the live majority. */
  refused = 0;
  /** When set, region leaders ignore the steps they are handed (operators stay in flight). */
  stalled = false;
  /** Problems seen while running, by the invariants checked after every step. */
  readonly violations: string[] = [];

  constructor(replaceTimeoutMs: number, options: Partial<SchedulerOptions> = {}) {
    this.view = new ClusterView(replaceTimeoutMs);
    this.scheduler = new PlacementScheduler(this.view, {
      replicas: 3,
      maxOperators: 16,
      maxMovesPerNode: 4,
      operatorTimeoutMs: 30_000,
      regionTolerance: 2,
      regionsCheckedPerTick: 4096,
      ...options,
    });
  }

  addNode(id: number, zone: string): void {
    this.zones.set(id, zone);
    this.dead.delete(id);
  }

  /** `count` regions splitting the keyspace evenly, all on `voters`, led by the first. */
  addRegions(count: number, voters: number[]): void {
    const replicas: Replica[] = voters.map((nodeId) => ({ nodeId, role: "voter" }));
    let rest: RegionDescriptor = {
      id: 1,
      start: new Uint8Array(0),
      end: new Uint8Array(0),
      epoch: { version: 1, confVer: 1 },
      replicas,
    };
    for (let i = 1; i < count; i++) {
      const [left, right] = splitDescriptor(rest, new Uint8Array([i]), i + 1);
      this.regions.push({ d: left, leader: voters[0] });
      rest = right;
    }
    this.regions.push({ d: rest, leader: voters[0] });
  }

  liveMajority(d: RegionDescriptor): boolean {
    const voters = d.replicas.filter((p) => p.role === "voter");
    return voters.filter((p) => !this.dead.has(p.nodeId)).length * 2 > voters.length;
  }

  tick(): void {
    this.nowMs += TICK_MS;
    for (const [id, zone] of this.zones) {
      if (this.dead.has(id)) continue;
      const prev = this.view.node(id);
      this.view.nodeHeartbeat({
        id,
        address: "",
        zone,
        capacityBytes: 1e12,
        usedBytes: 0,
        lastHeartbeatMs: this.nowMs,
        draining: prev?.draining ?? false,
      });
    }
    for (const r of this.regions) this.#electIfNeeded(r);
    for (const r of this.regions) this.#report(r);
    for (const { regionId, step } of this.scheduler.tick(this.nowMs)) {
      if (this.stalled) continue;
      const r = this.regions.find((x) => x.d.id === regionId);
      if (r !== undefined) this.#run(r, step);
    }
  }

  #electIfNeeded(r: ModelRegion): void {
    const isVoter = (id: number) => r.d.replicas.some((p) => p.nodeId === id && p.role === "voter");
    if (!this.dead.has(r.leader) && isVoter(r.leader)) return;
    if (!this.liveMajority(r.d)) return;
    const live = r.d.replicas.find((p) => p.role === "voter" && !this.dead.has(p.nodeId));
    if (live !== undefined) r.leader = live.nodeId;
  }

  #report(r: ModelRegion): void {
    if (this.dead.has(r.leader)) return;
    this.view.regionReport({
      descriptor: r.d,
      leader: r.leader,
      sizeBytes: this.sizes.get(r.d.id) ?? 1 << 20,
      writesPerSec: 0,
      caughtUp: r.d.replicas.map((p) => p.nodeId).filter((id) => !this.dead.has(id)),
      reportedMs: this.nowMs,
      term: 1,
    });
  }

  #run(r: ModelRegion, step: Step): void {
    if (this.dead.has(r.leader) || !this.liveMajority(r.d)) return;
    const before = r.d;
    let replicas = [...r.d.replicas];
    if (step.kind === "transfer-leader") {
      const ok = replicas.some((p) => p.nodeId === step.to && p.role === "voter");
      if (ok && !this.dead.has(step.to)) r.leader = step.to;
      return;
    }
    if (step.kind === "add-learner") {
      if (this.dead.has(step.node) || replicas.some((p) => p.nodeId === step.node)) return;
      replicas.push({ nodeId: step.node, role: "learner" });
    } else if (step.kind === "promote") {
      // The region's leader promotes only a learner that has caught up (a live one here).
      if (step.promote !== 0 && this.dead.has(step.promote)) return;
      replicas = replicas.map((p) =>
        p.nodeId === step.promote
          ? { nodeId: p.nodeId, role: "voter" }
          : p.nodeId === step.demote
          ? { nodeId: p.nodeId, role: "learner" }
          : p
      );
    } else {
      if (step.node === r.leader) return; // Raft: a leader hands off before it is removed
      replicas = replicas.filter((p) => p.nodeId !== step.node);
    }
    const next = { ...r.d, replicas, epoch: { ...r.d.epoch, confVer: r.d.epoch.confVer + 1 } };
    // The leader refuses a change that leaves its active voters without a majority.
    if (!this.liveMajority(next)) {
      this.refused++;
      return;
    }
    r.d = next;
    this.#check(before, r.d, step);
  }

  #check(before: RegionDescriptor, after: RegionDescriptor, step: Step): void {
    if (!after.replicas.some((p) => p.role === "voter")) {
      const was = JSON.stringify(before.replicas);
      this.violations.push(`region ${after.id}: ${JSON.stringify(step)} on ${was} left no voter`);
    }
  }

  /** Splits region `id` at `key` (as its Raft group would, between ticks). */
  split(id: number, key: Uint8Array, rightId: number): void {
    const i = this.regions.findIndex((r) => r.d.id === id);
    const [left, right] = splitDescriptor(this.regions[i].d, key, rightId);
    this.regions.splice(i, 1, { d: left, leader: this.regions[i].leader }, {
      d: right,
      leader: this.regions[i].leader,
    });
  }

  votersOn(node: number): number {
    return this.regions.filter((r) =>
      r.d.replicas.some((p) => p.nodeId === node && p.role === "voter")
    ).length;
  }

  replicasOn(node: number): number {
    return this.regions.filter((r) => r.d.replicas.some((p) => p.nodeId === node)).length;
  }

  leadersOn(node: number): number {
    return this.regions.filter((r) => r.leader === node).length;
  }

  /** Regions whose voters are not `want` live nodes in distinct zones (when zones allow). */
  unhealthy(want: number, zoneCount: number): number[] {
    return this.regions.filter((r) => {
      const voters = r.d.replicas.filter((p) => p.role === "voter").map((p) => p.nodeId);
      const zones = new Set(voters.map((id) => this.zones.get(id)));
      return voters.length !== want || voters.some((id) => this.dead.has(id)) ||
        r.d.replicas.some((p) => p.role === "learner") || zones.size < Math.min(want, zoneCount);
    }).map((r) => r.d.id);
  }

  run(ticks: number): void {
    for (let i = 0; i < ticks; i++) this.tick();
  }
}
