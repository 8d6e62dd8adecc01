/**
 * The node's reads over its regions (docs/regions.md "The node holding many regions"). Every
 * region's current records live in the node's one engine, keyed by user key, so a read of the
 * current state is a read of the engine whatever region holds the key, and a scan over several
 * regions is already stitched in key order. What differs per region is the barrier: a
 * linearizable read waits for the ReadIndex of each region its keys lie in (a key's read, its
 * region's; a scan, those of the regions its range overlaps; a Redis read, whose keys the node
 * does not know beforehand, every region's; with one region, region 1's alone).
 *
 * A read at a past revision is served by the key's region (its history follows its lineage
 * across splits). Once revisions are timestamps (a node holding many regions, decision 0018) a
 * read at revision T first makes T final in each region it reads (reads_at_timestamp.ts), and a
 * scan at T over several regions reads each region's part at T. On the one-region node
 * revisions are its log indexes, as before.
 */
import { ErrorCode } from "../../gen/tinykv/v1/tinykv_pb.ts";
import { isOpenEnded } from "../../kv/key_state.ts";
import { type KvScanPage, type KvScanRequest, scanRange } from "../../kv/kv_scan.ts";
import type { KvStateMachine } from "../../kv/state_machine.ts";
import type { KeyState } from "../../kv/key_state.ts";
import { overlaps } from "../../region/descriptor.ts";
import { type Consistency, type KeyRead, ServiceError } from "../kv_service.ts";
import type { EngineHolder } from "./engine_holder.ts";
import type { FaultMonitor } from "./faults.ts";
import type { HostedRegion, RegionHost } from "./region_host.ts";
import { revisionRead } from "./revision_reads.ts";
import { closeAt, scanAt } from "./reads_at_timestamp.ts";
import type { RemoteRegions } from "./remote_regions.ts";
import { scanAcross } from "./scan_parts.ts";
import { covers, overlapping } from "./region_coverage.ts";
import { keyCountsOf } from "./region_key_counts.ts";
import { keySpan, type ReadLocks, type ReadSpan } from "./read_locks.ts";
import { scanAtOneTimestamp, spansRegions, wantsOneTimestamp } from "./snapshot_scan.ts";
import { pinRegions, retrySettling, settling, unchanged, unsettled } from "./read_settle.ts";

const EMPTY = new Uint8Array(0);
const WHOLE = { start: EMPTY, end: EMPTY };

/** Every key, for the reads whose keys are not known beforehand. */
const WHOLE_SPAN: ReadSpan = { start: EMPTY, end: EMPTY };
/** A timestamp above every transaction's start (a current read). */
const NEWEST = Number.MAX_SAFE_INTEGER;

export class NodeReads {
  /**
   * Closes a region at a revision once revisions are timestamps (reads_at_timestamp.ts,
   * region_router.ts `closeAt`); undefined on the one-region node.
   */
  closeRegion: () =>
    | ((r: HostedRegion, at: number, ask: boolean) => Promise<unknown>)
    | undefined = () => undefined;

  /**
   * Finishes the locks of transactions across regions a read meets (read_locks.ts); undefined
   * on the one-region node, which has none.
   */
  locks: () => ReadLocks | undefined = () => undefined;

  constructor(
    readonly host: RegionHost,
    readonly engine: () => EngineHolder,
    readonly faults: FaultMonitor,
    /** Reads of keys no local region holds go to their region's replicas (remote_regions.ts). */
    readonly remote?: RemoteRegions,
  ) {}

  /** How a read closes its regions (a serializable one only where this node leads them). */
  #closer(c: Consistency): ((r: HostedRegion, at: number) => Promise<unknown>) | undefined {
    const close = this.closeRegion();
    return close === undefined ? undefined : (r, at) => close(r, at, c !== "serializable");
  }

  /** The local region of `key`; UNAVAILABLE while a split's child is not added yet. */
  #regionOf(key: Uint8Array): HostedRegion {
    const r = this.host.regionFor(key);
    if (r !== undefined) return r;
    // A split's child not added yet (a node that lacks the region reads it remotely).
    if (this.host.adding) throw settling();
    throw new ServiceError(ErrorCode.UNAVAILABLE, "no local region holds the key yet; retry");
  }

  get(key: Uint8Array, consistency: Consistency, revision = 0): Promise<KeyRead> {
    return this.#settled(() => this.#get(key, consistency, revision));
  }

  /** Runs `read` again while a split settling here refuses it (read_settle.ts). */
  #settled<T>(read: () => Promise<T>): Promise<T> {
    return retrySettling(this.host.d.o.clock, read);
  }

  async #get(key: Uint8Array, consistency: Consistency, revision: number): Promise<KeyRead> {
    if (this.remote !== undefined && this.host.regionFor(key) === undefined) {
      this.faults.check("read");
      return await this.remote.get(key, consistency, revision);
    }
    // Only a read at a revision reads by the region's range (a current read is the engine's).
    const region = this.#regionOf(key), generation = this.host.generation;
    const pinned = revision === 0 ? undefined : pinRegions(this.host, [region]);
    await this.barrier(consistency, [region], region.kv.descriptor);
    const engine = this.engine();
    const kv = region.kv.kv;
    if (revision === 0) {
      await this.#settle(keySpan(key), 0, consistency, [region]);
      unchanged(this.host, generation, [region]);
      // Both in one turn: no apply can come between the state and the revision.
      return engine.readNow(() => ({ state: kv.get(key), revision: kv.visibleRevision }));
    }
    const close = this.#closer(consistency);
    if (close !== undefined) await closeAt([region], revision, close);
    await this.#settle(keySpan(key), revision, consistency, [region]);
    const state = await revisionRead(engine, () => kv.getAt(key, revision));
    pinned?.();
    return { state, revision };
  }

  /**
   * Keys as of `revision`, linearizably: one close (or barrier) per region, not per key (a
   * transaction across regions reads its keys at its start timestamp), the locks finished.
   */
  getManyAt(keys: readonly Uint8Array[], revision: number): Promise<(KeyState | undefined)[]> {
    return this.#settled(() => this.#getManyAt(keys, revision));
  }

  async #getManyAt(keys: readonly Uint8Array[], revision: number) {
    const regions = [...new Set(keys.map((k) => this.#regionOf(k)))];
    const pinned = pinRegions(this.host, regions), generation = this.host.generation;
    const close = this.#closer("linearizable");
    // A close (a ReadIndex after the timestamp) or a region past it makes the read current: no
    // ReadIndex first; after, the keys' regions must be the ones closed (regions seed 459).
    const consistency = close === undefined ? "linearizable" : "serializable";
    await Promise.all(regions.map((r) => this.barrier(consistency, [r], r.kv.descriptor)));
    if (close !== undefined) {
      await closeAt(regions, revision, close);
      unchanged(this.host, generation, regions);
      if (keys.some((k) => !regions.includes(this.#regionOf(k)))) throw settling();
    }
    for (const key of keys) {
      await this.#settle(keySpan(key), revision, "linearizable", [this.#regionOf(key)]);
    }
    const engine = this.engine();
    const states = await Promise.all(
      keys.map((k) => revisionRead(engine, () => this.#regionOf(k).kv.kv.getAt(k, revision))),
    );
    pinned();
    return states;
  }

  /** A timestamp from the oracle, for reads across regions (snapshot_scan.ts); undefined: none. */
  timestamp: () => (() => Promise<number>) | undefined = () => undefined;

  async scan(request: KvScanRequest, consistency: Consistency): Promise<KvScanPage> {
    const remote = this.remote, span = this.#span(request), timestamp = this.timestamp();
    const covered = remote === undefined || request.hereOnly || covers(this.host.all(), span);
    if (
      timestamp !== undefined && wantsOneTimestamp(request, consistency) &&
      await spansRegions(this.host.all(), covered, remote, span)
    ) {
      return await scanAtOneTimestamp(request, timestamp, (r) => this.scan(r, consistency));
    }
    if (covered) return await this.#settled(() => this.#scanHere(request, consistency));
    // Part of the range is held elsewhere: stitched from local and remote parts.
    this.faults.check("read");
    const local = (part: KvScanRequest) => this.#scanHere(part, consistency);
    return await scanAcross(this.host, remote, local, consistency, request);
  }

  async #scanHere(request: KvScanRequest, consistency: Consistency): Promise<KvScanPage> {
    const regions = this.#overlapping(request);
    const revision = request.revision ?? 0;
    const close = this.#closer(consistency);
    const atRevision = revision !== 0 && close !== undefined;
    const pinned = atRevision ? pinRegions(this.host, regions) : undefined;
    const generation = this.host.generation;
    // At a revision, closing each region at it (below) is the wait: a region whose replica here
    // has applied it holds everything at or below it. So no ReadIndex first, only the checks.
    await this.barrier(atRevision ? "serializable" : consistency, regions, this.#span(request));
    const engine = this.engine();
    if (atRevision) {
      await closeAt(regions, revision, close);
      unchanged(this.host, generation, regions);
      await this.#settle(this.#span(request), revision, consistency, regions);
      const page = await scanAt(engine, regions, request, revision);
      pinned?.();
      return page;
    }
    await this.#settle(this.#span(request), 0, consistency, regions);
    unchanged(this.host, generation, regions);
    // The current state of every region is the engine's: one region's scan reads every region.
    const kv = (regions[0] ?? this.host.all()[0]).kv.kv;
    const page = await revisionRead(engine, () => kv.scan(request));
    unchanged(this.host, generation, regions); // a replica dropped mid-scan lost records under it
    return page;
  }

  /** Waits until no transaction's lock in `span` may change what a read at `revision` sees. */
  async #settle(
    span: ReadSpan,
    revision: number,
    consistency: Consistency,
    regions: readonly HostedRegion[],
  ): Promise<void> {
    const locks = this.locks();
    if (locks === undefined || consistency === "serializable") return;
    await locks.settle(span, revision, () => this.barrier(consistency, regions, span));
  }

  #span(request: KvScanRequest): { start: Uint8Array; end: Uint8Array } {
    const { range } = scanRange(request);
    return { start: range.key, end: isOpenEnded(range) ? EMPTY : range.rangeEnd };
  }

  /** The regions a scan's range overlaps, in key order. */
  #overlapping(request: KvScanRequest): HostedRegion[] {
    const all = this.host.all();
    if (all.length === 1) return all;
    const span = this.#span(request);
    return all.filter((r) => overlaps(r.kv.descriptor, { ...r.kv.descriptor, ...span }));
  }

  count(consistency: Consistency): Promise<number> {
    return this.#settled(() => this.#count(consistency));
  }

  async #count(consistency: Consistency): Promise<number> {
    const regions = this.host.all(), generation = this.host.generation;
    await this.barrier(consistency, regions);
    await this.#settle(WHOLE_SPAN, 0, consistency, regions);
    unchanged(this.host, generation, regions);
    return this.engine().readNow(() => regions.reduce((n, r) => n + r.kv.kv.keyCount, 0));
  }

  /**
   * `read` over every region's state (the Redis executor: its keys are known only as it runs,
   * and database 0's strings are the keys transactions across regions write, so no lock of the
   * keyspace may be pending under it).
   */
  readState<T>(consistency: Consistency, read: (kv: KvStateMachine) => T): Promise<T> {
    return this.#settled(async () => {
      const regions = this.host.all(), generation = this.host.generation;
      await this.barrier(consistency, regions);
      await this.#settle(WHOLE_SPAN, 0, consistency, regions);
      unchanged(this.host, generation, regions);
      return this.#readAll(read);
    });
  }

  /** `read` on region 1's state machine, which counts every region's keys while it runs. */
  #readAll<T>(read: (kv: KvStateMachine) => T): T {
    const engine = this.engine();
    const kv = engine.kv;
    kv.acrossRegions = this.host.count > 1 ? (this.#sums ??= keyCountsOf(this.host)) : undefined;
    return engine.readNow(() => read(kv));
  }

  #sums: ReturnType<typeof keyCountsOf> | undefined;

  readStateNow<T>(c: Consistency, read: (kv: KvStateMachine) => T): { value: T } | undefined {
    this.faults.check("read");
    const all = this.host.all();
    if (unsettled(this.host, all)) return undefined; // the awaited path waits for it to settle
    if (c !== "serializable") { for (const r of all) if (!r.reads.readyNow()) return undefined; }
    // A pending lock anywhere: the awaited path settles it first (readState).
    if (c !== "serializable" && this.locks()?.first(WHOLE_SPAN, NEWEST) !== undefined) {
      return undefined;
    }
    return { value: this.#readAll(read) };
  }

  /**
   * The read barrier a consistency asks for (docs/design.md §2.5), of each region. A split that
   * applied meanwhile may have moved keys to a child whose writes this node has not applied
   * (or whose replica it has not added yet): the read is refused, retryable, rather than stale.
   */
  async barrier(
    consistency: Consistency,
    regions: readonly HostedRegion[],
    span: { start: Uint8Array; end: Uint8Array } = WHOLE,
  ): Promise<void> {
    this.faults.check("read");
    const generation = this.host.generation;
    if (this.host.adding || overlapping(this.host.all()) || !covers(regions, span)) {
      throw settling();
    }
    if (consistency === "serializable") return;
    if (regions.length === 1) await regions[0].reads.wait();
    else await Promise.all(regions.map((r) => r.reads.wait()));
    // A region image installed while the read waited (a wiped node's region 1 narrowed to its
    // part past the splits) leaves keys no local region holds yet: their records are stale or
    // gone here (the simulator's seed 4 read null for keys written long before). Checked over
    // the read's own span, not the whole keyspace: once placement moves replicas a node holds
    // only some regions for good, and every read there was refused (regions_e2e_test.ts).
    if (this.host.generation !== generation || this.host.adding || !covers(regions, span)) {
      throw settling();
    }
  }
}
