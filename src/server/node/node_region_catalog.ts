/**
 * The node's region catalog (docs/regions.md#routing): every region it holds, with the
 * descriptor that region's state machine applied (region 1's follows its membership changes:
 * region_members.ts; a split gives both halves version + 1), its leader as this node knows it,
 * and its size. With one region (splitting off) the size is the engine's (table and memtable
 * bytes), as before regions; with several it is the split check's estimate of each range
 * (region_split_check.ts), or with merge on, the merge's own measure: the exact bytes of its
 * current records when they are at most `--region-merge-bytes`, else at least that + 1 (a scan of
 * at most that much per report: region_small_bytes.ts).
 */
import type { RegionDescriptor } from "../../region/descriptor.ts";
import { compareEnd } from "../../region/descriptor.ts";
import {
  type NodeLabel,
  type RegionCatalog,
  type RegionReport,
  tilesKeyspace,
} from "../../region/region_catalog.ts";
import type { NodeService } from "./node_service.ts";
import { SmallRegionBytes } from "./region_small_bytes.ts";
import { hostedRegions, isLeftOut } from "./left_out.ts";

export class NodeRegionCatalog implements RegionCatalog {
  /** With merge on, the exact bytes of small regions (the estimate keeps deleted versions). */
  readonly #small: SmallRegionBytes;

  constructor(readonly nodeService: NodeService, readonly zone = "") {
    this.#small = new SmallRegionBytes(nodeService.o.regionMergeBytes);
  }

  get selfId(): number {
    return this.nodeService.o.id;
  }

  /**
   * A region this node holds while it knows the region's voters and is one of its members; none
   * on a node outside every configuration (one waiting to join), nor a replica left out of its
   * configuration (left_out.ts): it holds no region a client could route to.
   */
  #held(d: RegionDescriptor | undefined): RegionDescriptor | undefined {
    if (d === undefined || !d.replicas.some((p) => p.role === "voter")) return undefined;
    return isLeftOut(d, this.selfId) ? undefined : d;
  }

  /** Every region hosted here with its voters known, those left out included (heartbeats). */
  hosted(): RegionDescriptor[] {
    const all = hostedRegions(this.nodeService.local.host).map((r) => r.kv.descriptor);
    return all.filter((d) => d.replicas.some((p) => p.role === "voter"));
  }

  regionFor(key: Uint8Array): RegionDescriptor | undefined {
    return this.#held(this.nodeService.local.host.regionFor(key)?.kv.descriptor);
  }

  regionsOverlapping(start: Uint8Array, end: Uint8Array): RegionDescriptor[] {
    const out: RegionDescriptor[] = [];
    for (const r of this.nodeService.local.host.all()) {
      const d = this.#held(r.kv.descriptor);
      // overlaps() of d and [start, end), without a descriptor made per region (every GET run).
      if (d !== undefined && compareEnd(d.end, start) > 0 && compareEnd(end, d.start) > 0) {
        out.push(d);
      }
    }
    return out;
  }

  holdsWhole(): boolean {
    return tilesKeyspace(this.nodeService.local.host.all(), (r) => this.#held(r.kv.descriptor));
  }

  descriptor(id: number): RegionDescriptor | undefined {
    return this.#held(this.nodeService.local.host.region(id)?.kv.descriptor);
  }

  leaderOf(id: number): number {
    if (this.descriptor(id) === undefined) return 0;
    return this.nodeService.local.host.region(id)?.group.rawNode.lead ?? 0;
  }

  report(id: number): RegionReport | undefined {
    const descriptor = this.descriptor(id);
    const n = this.nodeService;
    const r = n.local.host.region(id);
    if (descriptor === undefined || r === undefined) return undefined;
    let bytes = 0;
    if (n.local.host.count === 1) {
      const stats = n.db.stats();
      bytes = stats.memtableBytes;
      for (const level of stats.levels) bytes += level.bytes;
    } else {
      bytes = n.local.splitCheck.sizeOf(n.db, r);
      bytes = this.#small.of(n.db, r, bytes, n.local.host.count);
    }
    return {
      descriptor,
      leaderId: r.group.rawNode.lead,
      approximateBytes: bytes,
      approximateKeys: r.kv.kv.keyCount,
      appliedIndex: r.kv.appliedIndex,
      writesPerSecond: n.local.load.rate(id),
    };
  }

  node(id: number): NodeLabel | undefined {
    const address = this.nodeService.addresses.get(id);
    if (address === undefined) return undefined;
    return { address, zone: id === this.selfId ? this.zone : "" };
  }
}
