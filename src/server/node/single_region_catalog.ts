/**
 * The region catalog of today's node, which runs one Raft group: region 1, the whole keyspace
 * (docs/regions.md#routing). Its descriptor is the one region 1's state machine applied
 * (region_members.ts): version 1 (one group never splits), the replicas and conf version the
 * last membership change wrote in the same batch as its apply (the change's Raft index; 1
 * before any). It lives in the engine, so a restart or a snapshot keeps it whatever the log
 * kept. Its leader is the group's, its size the engine's.
 */
import type { RegionDescriptor } from "../../region/descriptor.ts";
import { containsKey, overlaps } from "../../region/descriptor.ts";
import type { NodeLabel, RegionCatalog, RegionReport } from "../../region/region_catalog.ts";
import type { NodeService } from "./node_service.ts";

export class SingleRegionCatalog implements RegionCatalog {
  constructor(readonly nodeService: NodeService, readonly zone = "") {}

  get selfId(): number {
    return this.nodeService.o.id;
  }

  /** Region 1 as its state machine applied it. */
  current(): RegionDescriptor {
    return this.nodeService.raft.members.descriptor;
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
