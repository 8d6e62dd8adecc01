/**
 * The region catalog of today's node, which runs one Raft group: region 1, the whole keyspace
 * (docs/regions.md#routing). Its replicas are the group's members, its leader the group's, its
 * size the engine's. Its epoch: version 1 (one group never splits), and as conf version the
 * Raft index of the last membership change the node applied (at least 1). Replicas agree on that
 * index, but a node that restarted after the change was compacted out of its log no longer
 * knows it and reports 1 until the next change; the client takes the answering node's
 * descriptor of a region as the truth, so that costs a client one retry, not a wrong answer.
 */
import { KV_REGION } from "./region_driver.ts";
import type { ConfState } from "../../raft/core/messages.ts";
import type { RegionDescriptor, Replica } from "../../region/descriptor.ts";
import { containsKey, overlaps } from "../../region/descriptor.ts";
import type { NodeLabel, RegionCatalog, RegionReport } from "../../region/region_catalog.ts";
import type { NodeService } from "./node_service.ts";

const EMPTY = new Uint8Array(0);

export class SingleRegionCatalog implements RegionCatalog {
  #cachedFor: { confState: ConfState; confVer: number } | undefined;
  #descriptor: RegionDescriptor | undefined;

  constructor(readonly nodeService: NodeService, readonly zone = "") {}

  get selfId(): number {
    return this.nodeService.o.id;
  }

  /** Region 1 as of the group's configuration (rebuilt only when it changed). */
  current(): RegionDescriptor {
    const n = this.nodeService;
    const confState = n.logStore.group(KV_REGION).confState;
    const confVer = Math.max(1, n.leaderHistory.confChangeIndex);
    const cached = this.#cachedFor;
    if (
      this.#descriptor !== undefined && cached !== undefined && cached.confState === confState &&
      cached.confVer === confVer
    ) {
      return this.#descriptor;
    }
    const voters = [...new Set([...confState.voters, ...confState.votersOutgoing])];
    const learners = [...new Set([...confState.learners, ...confState.learnersNext])]
      .filter((id) => !voters.includes(id));
    const replicas: Replica[] = [
      ...voters.map((nodeId) => ({ nodeId, role: "voter" as const })),
      ...learners.map((nodeId) => ({ nodeId, role: "learner" as const })),
    ];
    this.#descriptor = {
      id: 1,
      start: EMPTY,
      end: EMPTY,
      epoch: { version: 1, confVer },
      replicas,
    };
    this.#cachedFor = { confState, confVer };
    return this.#descriptor;
  }

  /**
   * Region 1 while the node knows its voters; undefined on a node outside any configuration
   * (one waiting to join): it holds no region a client could route to.
   */
  #held(): RegionDescriptor | undefined {
    const d = this.current();
    return d.replicas.some((p) => p.role === "voter") ? d : undefined;
  }

  regionFor(key: Uint8Array): RegionDescriptor | undefined {
    const d = this.#held();
    return d !== undefined && containsKey(d, key) ? d : undefined;
  }

  regionsOverlapping(start: Uint8Array, end: Uint8Array): RegionDescriptor[] {
    const d = this.#held();
    return d !== undefined && overlaps(d, { ...d, start, end }) ? [d] : [];
  }

  descriptor(id: number): RegionDescriptor | undefined {
    return id === 1 ? this.#held() : undefined;
  }

  leaderOf(id: number): number {
    return this.descriptor(id) === undefined ? 0 : this.nodeService.node.rawNode.lead;
  }

  report(id: number): RegionReport | undefined {
    if (this.descriptor(id) === undefined) return undefined;
    const n = this.nodeService;
    const stats = n.db.stats();
    let bytes = stats.memtableBytes;
    for (const level of stats.levels) bytes += level.bytes;
    return {
      descriptor: this.current(),
      leaderId: n.node.rawNode.lead,
      approximateBytes: bytes,
      approximateKeys: n.kv.keyCount,
      appliedIndex: n.kv.appliedIndex,
    };
  }

  node(id: number): NodeLabel | undefined {
    const address = this.nodeService.addresses.get(id);
    if (address === undefined) return undefined;
    return { address, zone: id === this.selfId ? this.zone : "" };
  }
}
