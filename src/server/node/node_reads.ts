/**
 * The node's reads over its regions (docs/regions.md "The node holding many regions"). Every
 * region's current records live in the node's one engine, keyed by user key, so a read of the
 * current state is a read of the engine whatever region holds the key, and a scan over several
 * regions is already stitched in key order. What differs per region is the barrier: a
 * linearizable read waits for the ReadIndex of each region its keys lie in (a key's read, its
 * region's; a scan, those of the regions its range overlaps; a Redis read, whose keys the node
 * does not know beforehand, every region's). With one region this is region 1's barrier alone,
 * as before regions.
 *
 * Revisions are each region's own (its Raft indexes, decision 0014 §5 interim): a key's read
 * reports its region's revision, and a read at a past revision is served by the key's region
 * (its history follows its lineage across splits); a scan at a past revision over more than
 * one region is refused, since no one revision describes them all.
 */
import { ErrorCode } from "../../gen/tinykv/v1/tinykv_pb.ts";
import { isOpenEnded } from "../../kv/key_state.ts";
import { type KvScanPage, type KvScanRequest, scanRange } from "../../kv/kv_scan.ts";
import type { KvStateMachine } from "../../kv/state_machine.ts";
import { overlaps } from "../../region/descriptor.ts";
import { compareBytes } from "../../util/bytes.ts";
import { type Consistency, type KeyRead, ServiceError } from "../kv_service.ts";
import type { EngineHolder } from "./engine_holder.ts";
import type { FaultMonitor } from "./faults.ts";
import type { HostedRegion, RegionHost } from "./region_host.ts";
import { revisionRead } from "./revision_reads.ts";

/**
 * Some keys have no local region: a split applied here whose child is not served yet, or a
 * region this node has not created yet (it installed its parent's image past the split, or was
 * wiped: region_creation.ts creates it from its leader's message). Reads whose keys the node does
 * not know are refused then, rather than served from records no local region keeps up to date.
 */
export function unsettled(host: RegionHost): boolean {
  if (host.adding) return true;
  // Region 1 alone need not be the whole keyspace: a node that installed its image past a
  // split holds only its part (and, until the children's images come, stale records of the
  // rest, which no local region keeps up to date).
  let end: Uint8Array = new Uint8Array(0);
  for (const r of host.all()) {
    const d = r.kv.descriptor;
    if (compareBytes(d.start, end) !== 0) return true;
    if (d.end.length === 0) return false;
    end = d.end;
  }
  return true;
}

function settling(): ServiceError {
  return new ServiceError(ErrorCode.UNAVAILABLE, "a region split while the read waited; retry");
}

export class NodeReads {
  constructor(
    readonly host: RegionHost,
    readonly engine: () => EngineHolder,
    readonly faults: FaultMonitor,
  ) {}

  /** The local region of `key`; UNAVAILABLE while a split's child is not added yet. */
  #regionOf(key: Uint8Array): HostedRegion {
    const r = this.host.regionFor(key);
    if (r !== undefined) return r;
    throw new ServiceError(ErrorCode.UNAVAILABLE, "no local region holds the key yet; retry");
  }

  async get(key: Uint8Array, consistency: Consistency, revision = 0): Promise<KeyRead> {
    const region = this.#regionOf(key);
    await this.barrier(consistency, [region]);
    const engine = this.engine();
    const kv = region.kv.kv;
    if (revision === 0) {
      // Both in one turn: no apply can come between the state and the revision.
      return engine.readNow(() => ({ state: kv.get(key), revision: kv.visibleRevision }));
    }
    const state = await revisionRead(engine, () => kv.getAt(key, revision));
    return { state, revision };
  }

  async scan(request: KvScanRequest, consistency: Consistency): Promise<KvScanPage> {
    const regions = this.#overlapping(request);
    await this.barrier(consistency, regions);
    const engine = this.engine();
    if (regions.length > 1 && (request.revision ?? 0) !== 0) {
      throw new ServiceError(
        ErrorCode.FAILED_PRECONDITION,
        `a scan at a past revision over ${regions.length} regions: revisions are each ` +
          "region's own until the timestamp oracle is built (decision 0014); scan each region",
      );
    }
    // The current state of every region is the engine's: any region's scan reads it all.
    const kv = (regions[0] ?? this.host.all()[0]).kv.kv;
    return await revisionRead(engine, () => kv.scan(request));
  }

  /** The regions a scan's range overlaps, in key order. */
  #overlapping(request: KvScanRequest): HostedRegion[] {
    const all = this.host.all();
    if (all.length === 1) return all;
    const { range } = scanRange(request);
    const end = isOpenEnded(range) ? new Uint8Array(0) : range.rangeEnd;
    const span = { start: range.key, end };
    return all.filter((r) => overlaps(r.kv.descriptor, { ...r.kv.descriptor, ...span }));
  }

  async count(consistency: Consistency): Promise<number> {
    const regions = this.host.all();
    await this.barrier(consistency, regions);
    return this.engine().readNow(() => regions.reduce((n, r) => n + r.kv.kv.keyCount, 0));
  }

  async readState<T>(consistency: Consistency, read: (kv: KvStateMachine) => T): Promise<T> {
    await this.barrier(consistency, this.host.all());
    return this.#readAll(read);
  }

  /** `read` on region 1's state machine, which counts every region's keys while it runs. */
  #readAll<T>(read: (kv: KvStateMachine) => T): T {
    const engine = this.engine();
    const kv = engine.kv;
    kv.acrossRegions = this.host.count > 1 ? this.#sums : undefined;
    return engine.readNow(() => read(kv));
  }

  readonly #sums = {
    keyCount: () => this.host.all().reduce((n, r) => n + r.kv.kv.keyCount, 0),
    redisKeyCount: (db: number) =>
      this.host.all().reduce((n, r) => n + r.kv.kv.redisKeyCount(db), 0),
  };

  readStateNow<T>(c: Consistency, read: (kv: KvStateMachine) => T): { value: T } | undefined {
    this.faults.check("read");
    if (unsettled(this.host)) throw settling();
    if (c !== "serializable" && !this.host.all().every((r) => r.reads.readyNow())) {
      return undefined;
    }
    return { value: this.#readAll(read) };
  }

  /**
   * The read barrier a consistency asks for (docs/design.md §2.5), of each region. A split that
   * applied meanwhile may have moved keys to a child whose writes this node has not applied
   * (or whose replica it has not added yet): the read is refused, retryable, rather than stale.
   */
  async barrier(consistency: Consistency, regions: readonly HostedRegion[]): Promise<void> {
    this.faults.check("read");
    const generation = this.host.generation;
    if (unsettled(this.host)) throw settling();
    if (consistency === "serializable") return;
    if (regions.length === 1) await regions[0].reads.wait();
    else await Promise.all(regions.map((r) => r.reads.wait()));
    // A region image installed while the read waited (a wiped node's region 1 narrowed to its
    // part past the splits) leaves keys no local region holds yet: their records are stale or
    // gone here (the simulator's seed 4 read null for keys written long before).
    if (this.host.generation !== generation || unsettled(this.host)) throw settling();
  }
}
