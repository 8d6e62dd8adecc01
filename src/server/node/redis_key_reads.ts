/**
 * A node's reads of Redis keys over a span (src/server/redis_keys.ts): served from its own
 * regions when they cover the span (or when the read was routed here: never sent on again), else
 * stitched from its regions and the other regions' replicas (stitched_redis_keys.ts). A local
 * read waits for the read barrier of each region the span overlaps and for the locks of
 * transactions across regions in it, as the node's protobuf scan does (node_reads.ts).
 */
import { ErrorCode } from "../../gen/tinykv/v1/tinykv_pb.ts";
import { RedisDb } from "../../kv/redis/database.ts";
import { REDIS_DATABASES } from "../../limits.ts";
import { readStorageOf } from "../../kv/redis/read_run.ts";
import { overlaps } from "../../region/descriptor.ts";
import { type KeySpan, keySpan } from "../../region/region_catalog.ts";
import { compareBytes } from "../../util/bytes.ts";
import { type Consistency, ServiceError } from "../kv_service.ts";
import type {
  RedisKeyEntry,
  RedisKeysPage,
  RedisKeysQuery,
  RedisReadQuery,
  SetScanPage,
  SetScanQuery,
} from "../redis_keys.ts";
import type { NodeReads } from "./node_reads.ts";
import { covers } from "./region_coverage.ts";
import { unchanged } from "./read_settle.ts";
import type { HostedRegion } from "./region_host.ts";
import type { RemoteRegions } from "./remote_regions.ts";
import { stitchedRedisKeys } from "./stitched_redis_keys.ts";
import { remoteSetScan, setScanOf } from "./set_scan_reads.ts";
import { readByRegion, readRouted } from "./redis_command_reads.ts";
import type { RedisReply } from "../../kv/redis/reply.ts";

/** Whether `inner` lies within `outer` (empty end: no bound). */
function within(inner: KeySpan, outer: KeySpan): boolean {
  const endOk = outer.end.length === 0 ||
    (inner.end.length > 0 && compareBytes(inner.end, outer.end) <= 0);
  return compareBytes(inner.start, outer.start) >= 0 && endOk;
}

/** Refusals of a read by its region after which the log runs it (RedisKeyReads.command). */
const AGAIN_BY_LOG = new Set([ErrorCode.UNAVAILABLE, ErrorCode.INVALID_ARGUMENT]);

export class RedisKeyReads {
  /** Reads of known keys refused by their region and run through the log instead (tests). */
  readsByLog = 0;

  constructor(readonly reads: NodeReads, readonly remote?: RemoteRegions) {}

  read(q: RedisKeysQuery, c: Consistency): Promise<RedisKeysPage> {
    const remote = this.remote;
    if (remote === undefined || q.hereOnly || covers(this.reads.host.all(), q.span)) {
      return q.count ? this.countHere(q, c) : this.keysHere(q, c);
    }
    this.reads.faults.check("read");
    return stitchedRedisKeys({
      host: this.reads.host,
      remote,
      here: (part) => this.read({ ...part, hereOnly: true }, c),
      consistency: c,
    }, q);
  }

  /** One SSCAN page of a set: read here when a local region holds its key (set_scan_reads.ts). */
  setScan(q: SetScanQuery, c: Consistency): Promise<SetScanPage> {
    const remote = this.remote;
    if (remote === undefined || q.hereOnly || covers(this.reads.host.all(), keySpan(q.key))) {
      return this.#setScanHere(q, c);
    }
    this.reads.faults.check("read");
    return remoteSetScan(remote, q, c);
  }

  /**
   * A Redis read of known keys by a replica of their region, without the log
   * (redis_command_reads.ts); undefined: the log runs it — its keys lie in several regions, or
   * the read was refused while its region changed (UNAVAILABLE: a split, a replica added or a
   * leader changed under the read barrier), as the log reroutes a command past a split where a
   * read is only refused, or by a peer that does not know such reads yet (INVALID_ARGUMENT: an
   * older version during an upgrade; this node checked the read as a peer does). A read changes
   * nothing: running it again is safe.
   */
  async command(q: RedisReadQuery, c: Consistency): Promise<RedisReply | undefined> {
    const remote = this.remote;
    if (q.hereOnly) return await readRouted(this.reads, q, c);
    if (remote === undefined) return undefined;
    try {
      return await readByRegion(this.reads, remote, q, c);
    } catch (err) {
      if (!(err instanceof ServiceError) || !AGAIN_BY_LOG.has(err.code)) throw err;
      this.readsByLog++;
      return undefined;
    }
  }

  async #setScanHere(q: SetScanQuery, c: Consistency): Promise<SetScanPage> {
    const { regions, generation } = await this.#ready(keySpan(q.key), c);
    unchanged(this.reads.host, generation, regions);
    const region = this.reads.host.regionFor(q.key);
    if (region === undefined) {
      throw new ServiceError(ErrorCode.KEY_NOT_IN_REGION, "no local region holds the set's key");
    }
    return this.reads.engine().readNow(() => setScanOf(region.kv.kv, q));
  }

  /**
   * The local regions `span` overlaps, once their barriers and the locks in it are met, and the
   * node's region generation before them: the read checks it in its own turn (`unchanged`).
   */
  async #ready(
    span: KeySpan,
    c: Consistency,
  ): Promise<{ regions: HostedRegion[]; generation: number }> {
    const generation = this.reads.host.generation;
    const regions = this.reads.host.all().filter((r) =>
      overlaps(r.kv.descriptor, { ...r.kv.descriptor, ...span })
    );
    const barrier = () => this.reads.barrier(c, regions, span);
    await barrier();
    const locks = this.reads.locks();
    if (locks !== undefined && c !== "serializable") await locks.settle(span, 0, barrier);
    return { regions, generation };
  }

  /** Up to `q.limit` live keys of the span, in key order, from this node's engine. */
  async keysHere(q: RedisKeysQuery, c: Consistency): Promise<RedisKeysPage> {
    const { regions, generation } = await this.#ready(q.span, c);
    unchanged(this.reads.host, generation, regions);
    const first = regions[0] ?? this.reads.host.all()[0];
    if (first === undefined) throw new Error("a node without regions");
    return this.reads.engine().readNow(() => {
      const db = new RedisDb(readStorageOf(first.kv.kv), q.db);
      const keys: RedisKeyEntry[] = [];
      const end = q.span.end;
      for (const e of db.keys({ key: q.span.start, inclusive: true })) {
        if (end.length > 0 && compareBytes(e.key, end) >= 0) break;
        if (keys.length >= q.limit) return { keys, more: true, counts: [] };
        keys.push({ key: e.key, type: e.type });
      }
      return { keys, more: false, counts: [] };
    });
  }

  /**
   * The keys of each database the regions of the span hold: each region counts its own
   * (expired keys not yet deleted included, as DBSIZE). Only whole regions are counted: a span
   * that cuts a local region (a route older or newer than this node's regions) is refused as a
   * changed route, for the asking node to plan again.
   */
  async countHere(q: RedisKeysQuery, c: Consistency): Promise<RedisKeysPage> {
    const { regions, generation } = await this.#ready(q.span, c);
    unchanged(this.reads.host, generation, regions);
    const cut = regions.find((r) => !within(r.kv.descriptor, q.span));
    if (cut !== undefined) {
      throw new ServiceError(
        ErrorCode.KEY_NOT_IN_REGION,
        `the span counted is not the whole of region ${cut.id} (it split, merged or moved)`,
      );
    }
    const counts = this.reads.engine().readNow(() =>
      Array.from(
        { length: REDIS_DATABASES },
        (_, db) => regions.reduce((n, r) => n + r.kv.kv.redisKeyCount(db), 0),
      )
    );
    return { keys: [], more: false, counts };
  }
}
