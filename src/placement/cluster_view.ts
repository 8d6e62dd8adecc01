/**
 * What the placement service knows of the cluster (docs/decisions/0014-regions.md
 * §7): its nodes, from their heartbeats, and its regions, from their leaders'
 * reports. Pure state: the placement group's state machine feeds it, the
 * schedulers read it. A node is **down** once its last heartbeat is older than
 * the replace timeout; a **draining** node keeps serving but every replica is
 * moved off it (`tinykv node drain ID`).
 */
import { type RegionDescriptor, sameEpoch } from "../region/descriptor.ts";
import { RegionMap } from "../region/region_map.ts";
import { equalBytes } from "../util/bytes.ts";

export interface NodeInfo {
  readonly id: number;
  /** Where its peers and clients reach it (host:port), as its heartbeat said. */
  readonly address: string;
  readonly zone: string;
  /** Bytes the node may hold, and bytes it holds now (its engine's size). */
  readonly capacityBytes: number;
  readonly usedBytes: number;
  readonly lastHeartbeatMs: number;
  readonly draining: boolean;
}

export interface RegionInfo {
  readonly descriptor: RegionDescriptor;
  /** Node id of the leader that reported, or 0 when unknown. */
  readonly leader: number;
  readonly sizeBytes: number;
  readonly writesPerSec: number;
  /** Replicas the leader reports as caught up (a learner is promoted only then). */
  readonly caughtUp: readonly number[];
  readonly reportedMs: number;
  /**
   * The Raft term the report was made in (0: unknown, from an image or command before terms were
   * reported). At one epoch a report of a lower term is older whatever order it applied in: a
   * deposed leader's heartbeat applied after its successor's must not bring the old leader back.
   */
  readonly term: number;
}

export interface NodeLoad {
  replicas: number;
  leaders: number;
  /** Sum of the sizes of the regions with a replica on the node. */
  bytes: number;
}

export class ClusterView {
  readonly #nodes = new Map<number, NodeInfo>();
  readonly #regions = new Map<number, RegionInfo>();
  readonly map = new RegionMap();

  constructor(
    readonly replaceTimeoutMs: number,
    /**
     * Whether region 1's configuration is the cluster's membership (a server node's view: region
     * 1 is on every member), so only the nodes it lists are usable (`isMember`). Off, as in the
     * scheduler's own tests where region 1 is an ordinary region, every node counts.
     */
    readonly membersInRegion1 = false,
  ) {}

  /** Forgets every node and region (before the placement state loads a snapshot's image). */
  clear(): void {
    this.#nodes.clear();
    this.#regions.clear();
    this.map.clear();
  }

  nodeHeartbeat(n: NodeInfo): void {
    const old = this.#nodes.get(n.id);
    this.#nodes.set(n.id, { ...n, draining: n.draining || (old?.draining ?? false) });
  }

  /** Marks a node to be emptied; false when the node is unknown. */
  drain(nodeId: number): boolean {
    const n = this.#nodes.get(nodeId);
    if (n === undefined) return false;
    this.#nodes.set(nodeId, { ...n, draining: true });
    return true;
  }

  /** Forgets a node that holds no replica any more (after a drain or a replacement). */
  removeNode(nodeId: number): boolean {
    if (this.replicaCount(nodeId) > 0) return false;
    return this.#nodes.delete(nodeId);
  }

  /**
   * Takes a region leader's report. A report older than what the map holds (by
   * epoch, or by time for the same epoch) is ignored; regions the report's range
   * replaces (a split's parent, a merge's source) are forgotten.
   */
  regionReport(r: RegionInfo): boolean {
    const d = r.descriptor;
    const held = this.#regions.get(d.id);
    if (held !== undefined && sameEpoch(held.descriptor.epoch, d.epoch)) {
      if (held.term > r.term || held.reportedMs > r.reportedMs) return false;
    }
    const same = held !== undefined && this.map.byId(d.id) === held.descriptor &&
      equalBytes(held.descriptor.start, d.start) && equalBytes(held.descriptor.end, d.end);
    const replaced = same ? [] : this.map.overlapping(d.start, d.end);
    if (!this.map.update(d)) return false;
    for (const old of replaced) if (old.id !== d.id) this.#regions.delete(old.id);
    this.#regions.set(d.id, r);
    return true;
  }

  get nodeCount(): number {
    return this.#nodes.size;
  }

  node(id: number): NodeInfo | undefined {
    return this.#nodes.get(id);
  }

  nodes(): NodeInfo[] {
    return [...this.#nodes.values()];
  }

  regions(): RegionInfo[] {
    return [...this.#regions.values()];
  }

  region(id: number): RegionInfo | undefined {
    return this.#regions.get(id);
  }

  isDown(nodeId: number, nowMs: number): boolean {
    const n = this.#nodes.get(nodeId);
    return n === undefined || nowMs - n.lastHeartbeatMs > this.replaceTimeoutMs;
  }

  /** Up, not draining and a member of the cluster: may receive replicas and leaders. */
  isUsable(nodeId: number, nowMs: number): boolean {
    const n = this.#nodes.get(nodeId);
    return n !== undefined && !n.draining && !this.isDown(nodeId, nowMs) && this.isMember(nodeId);
  }

  /**
   * Whether region 1's configuration, as its leader last reported it, lists the node (voter or
   * learner): the cluster's membership. A node that heartbeats but is not listed — started with
   * `--join` and not added yet, or removed (`member remove`) and still running — takes no
   * replica, and its replicas are replaced as a down node's are. Before region 1's first report
   * every node counts.
   */
  isMember(nodeId: number): boolean {
    const first = this.membersInRegion1 ? this.#regions.get(1) : undefined;
    return first === undefined || first.descriptor.replicas.some((p) => p.nodeId === nodeId);
  }

  /** Replicas, leaders and region bytes per node, counted in one pass. */
  loads(): Map<number, NodeLoad> {
    const out = new Map<number, NodeLoad>();
    for (const id of this.#nodes.keys()) out.set(id, { replicas: 0, leaders: 0, bytes: 0 });
    for (const r of this.#regions.values()) {
      for (const p of r.descriptor.replicas) {
        const l = out.get(p.nodeId);
        if (l === undefined) continue;
        l.replicas++;
        l.bytes += r.sizeBytes;
      }
      const l = out.get(r.leader);
      if (l !== undefined) l.leaders++;
    }
    return out;
  }

  /** Replicas on a node (one pass over the regions). */
  replicaCount(nodeId: number): number {
    let count = 0;
    for (const r of this.#regions.values()) {
      if (r.descriptor.replicas.some((p) => p.nodeId === nodeId)) count++;
    }
    return count;
  }
}
