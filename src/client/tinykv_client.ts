/**
 * The typed client API exported from mod.ts. Keys and values are bytes;
 * strings are accepted and UTF-8 encoded. Reads are linearizable unless asked
 * otherwise.
 */
import {
  type BatchOp,
  type Bytes,
  CONSISTENCY,
  type Consistency,
  type ReadOptions,
  type ScanOptions,
  type ScanPage,
} from "./client_types.ts";
import { toBytes } from "../util/bytes.ts";
import { u64ToNumber } from "../util/ids.ts";
import { ClientCore, type ClientOptions } from "./client.ts";
import { entryFromWire, type KeyEntry, wireNumber } from "./key_entry.ts";
import { adminOf, getOf, revisionOf, statusOf, txnOf, writeOf } from "./response_bodies.ts";
import { type ClusterStatus, type MemberInfo, membersOf, statusFromWire } from "./status_wire.ts";
import { txnFromWire, type TxnResult, type TxnSpec, txnToWire } from "./txn.ts";
import { RouteCache } from "./route_cache.ts";
import { RegionRouter } from "./region_router.ts";
import { fetchRegions, listRegions } from "./region_list.ts";
import type { RegionEntry } from "./region_wire.ts";
import { scanAnyhow } from "./routed_scan.ts";

export type { RegionEntry };

export type { ClusterStatus, KeyEntry, MemberInfo };
export type { CompareOperator, NumericTarget, TxnCompare, TxnOp } from "./txn.ts";
export type { TxnOpResult, TxnResult, TxnSpec } from "./txn.ts";
import { Watch, type WatchOptions, type WatchTarget } from "./watch.ts";
import type { KeepAliveHandle } from "./lease_keep_alive.ts";
import * as lease from "./lease_client.ts";
import * as expiry from "./expiry_options.ts";

export type { ExpireConditionName, ExpireOptions, PutOptions } from "./expiry_options.ts";

export type {
  GrantOptions,
  LeaseStatus,
  LeaseTimeToLive,
  TimeToLiveOptions,
} from "./lease_client.ts";
export type { KeepAliveHandle };

export type { BatchOp, Bytes, Consistency, ReadOptions, ScanOptions, ScanPage };

const EMPTY = new Uint8Array(0);

export class TinyKvClient {
  readonly #core: ClientCore;
  /** With `routing`: the regions learned so far (route_cache.ts). */
  readonly routes: RouteCache | undefined;

  constructor(options: ClientOptions) {
    const core = this.#core = new ClientCore(options);
    const fetch = (start: Uint8Array, end: Uint8Array) => fetchRegions(core, start, end);
    const now = () => options.clock.nowMs();
    this.routes = options.routing === true ? new RouteCache(fetch, undefined, now) : undefined;
  }

  /** The router of a request on `key` when routing is on. */
  #router(key: Uint8Array): RegionRouter | undefined {
    const cache = this.routes;
    return cache && new RegionRouter(cache, () => cache.locate(key));
  }

  /** The regions overlapping `[start, end)` (default: all) in key order, leaders and sizes. */
  regions(range: { start?: Bytes; end?: Bytes } = {}): Promise<RegionEntry[]> {
    const bytes = (b: Bytes | undefined) => (b === undefined ? EMPTY : toBytes(b));
    return listRegions(this.#core, bytes(range.start), bytes(range.end));
  }

  get clientId(): number {
    return this.#core.clientId;
  }

  /** The options this client was made with (to make more clients like it). */
  get options(): ClientOptions {
    return this.#core.options;
  }

  /**
   * Stores `value` at `key`; resolves with the write's revision: its Raft index on a one-region
   * cluster (decision 0008), its timestamp where regions split (decision 0018).
   */
  async put(key: Bytes, value: Bytes, options: expiry.PutOptions = {}): Promise<number> {
    const lease = wireNumber(options.lease, "lease");
    const k = toBytes(key);
    const put = { key: k, value: toBytes(value), lease, ...expiry.putExpiryFields(options) };
    const r = await this.#core.write({ case: "put", value: put }, this.#router(k));
    return revisionOf(writeOf(r));
  }

  /** Sets or removes the key's expiry; true when it changed (Redis EXPIRE's 1/0). */
  async expire(key: Bytes, options: expiry.ExpireOptions): Promise<boolean> {
    const k = toBytes(key);
    const value = expiry.expireRequest(k, options);
    return writeOf(await this.#core.write({ case: "expire", value }, this.#router(k))).applied;
  }

  /** The value at `key` (as of `options.revision` when given), or undefined. */
  async get(key: Bytes, options: ReadOptions = {}): Promise<Uint8Array | undefined> {
    return (await this.getEntry(key, options))?.value;
  }

  /**
   * The key with its revisions, version and lease (as of `options.revision`
   * when given), or undefined. A revision below the compacted one fails with
   * COMPACTED (`compactedRevision` says the oldest readable), one above the
   * store's with FUTURE_REVISION.
   */
  async getEntry(key: Bytes, options: ReadOptions = {}): Promise<KeyEntry | undefined> {
    const k = toBytes(key);
    const r = await this.#core.read(
      {
        case: "get",
        value: {
          key: k,
          consistency: CONSISTENCY[options.consistency ?? "linearizable"],
          revision: wireNumber(options.revision, "revision"),
        },
      },
      undefined,
      this.#router(k),
    );
    const g = getOf(r);
    return g.found ? entryFromWire(k, g) : undefined;
  }

  /** Deletes `key`; resolves true if it existed. */
  async delete(key: Bytes): Promise<boolean> {
    const k = toBytes(key);
    const r = await this.#core.write({ case: "delete", value: { key: k } }, this.#router(k));
    return writeOf(r).existed;
  }

  /** Applies every operation atomically; resolves with the store's revision after it. */
  async batch(ops: readonly BatchOp[]): Promise<number> {
    const r = await this.#core.write({
      case: "batch",
      value: {
        ops: ops.map((op) =>
          op.type === "put"
            ? { op: { case: "put", value: { key: toBytes(op.key), value: toBytes(op.value) } } }
            : { op: { case: "delete", value: { key: toBytes(op.key) } } }
        ),
      },
    });
    return revisionOf(writeOf(r));
  }

  /**
   * Writes `next` (or deletes when `next` is null) only if the key's current
   * value equals `expected` (undefined: the key must not exist). Resolves
   * true when it applied.
   */
  async compareAndSet(
    key: Bytes,
    expected: Bytes | undefined,
    next: Bytes | null,
  ): Promise<boolean> {
    const k = toBytes(key);
    const r = await this.#core.write({
      case: "compareAndSet",
      value: {
        key: k,
        expect: expected === undefined
          ? { case: "expectedModRevision", value: 0n }
          : { case: "expectedValue", value: toBytes(expected) },
        action: next === null
          ? { case: "delete", value: true }
          : { case: "newValue", value: toBytes(next) },
      },
    }, this.#router(k));
    return writeOf(r).applied;
  }

  /**
   * Runs a transaction: if every compare holds the success operations run,
   * else the failure ones, atomically at one revision. A write like put: a
   * retry after a lost answer never applies it twice.
   */
  async txn(spec: TxnSpec): Promise<TxnResult> {
    const r = await this.#core.write({ case: "txn", value: txnToWire(spec) });
    return txnFromWire(txnOf(r));
  }

  /**
   * Forgets the history below `revision`: reads and watches below it then fail
   * with COMPACTED. Resolves with the store revision afterwards.
   */
  async compact(revision: number): Promise<number> {
    const value = { revision: wireNumber(revision, "revision") };
    const r = await this.#core.write({ case: "compact", value });
    return u64ToNumber(writeOf(r).revision, "revision");
  }

  /** One page of keys in order (by prefix or range), now or as of `options.revision`. */
  async scan(options: ScanOptions = {}): Promise<ScanPage> {
    const bytes = (b: Bytes | undefined) => (b === undefined ? EMPTY : toBytes(b));
    const value = {
      prefix: bytes(options.prefix),
      start: bytes(options.start),
      end: bytes(options.end),
      limit: options.limit ?? 0,
      offset: options.offset ?? 0,
      cursor: options.cursor ?? EMPTY,
      reverse: options.reverse ?? false,
      consistency: CONSISTENCY[options.consistency ?? "linearizable"],
      revision: wireNumber(options.revision, "revision"),
    };
    // With routing, a scan crossing regions reads each region's part and stitches them.
    const s = await scanAnyhow(this.#core, this.routes, value);
    return {
      items: s.items.map((kv) => entryFromWire(kv.key, kv)),
      nextCursor: s.nextCursor.length > 0 ? s.nextCursor : undefined,
      revision: u64ToNumber(s.revision, "revision"),
    };
  }

  /** Changes to a key, prefix or range as they happen (docs/coordination.md#watch, Watch). */
  watch(target: WatchTarget, options: WatchOptions = {}): Watch {
    return new Watch(this.#core, target, options);
  }

  /** The status of the node currently believed to lead. */
  async status(): Promise<ClusterStatus> {
    return statusFromWire(statusOf(await this.#core.read({ case: "status", value: {} })));
  }

  /**
   * Admin: adds node `id` listening at `address` (host:port of its protobuf
   * port). It joins as a learner and is promoted to voter once caught up,
   * unless `learnerOnly`. Resolves with the membership afterwards.
   */
  async addMember(
    id: number,
    address: string,
    options: { learnerOnly?: boolean } = {},
  ): Promise<MemberInfo[]> {
    const body = { id: BigInt(id), address, learnerOnly: options.learnerOnly ?? false };
    return membersOf(adminOf(await this.#core.read({ case: "memberAdd", value: body })));
  }

  /** Admin: removes node `id` (the leader first hands leadership to another voter). */
  async removeMember(id: number): Promise<MemberInfo[]> {
    const body = { id: BigInt(id) };
    return membersOf(adminOf(await this.#core.read({ case: "memberRemove", value: body })));
  }

  /** Admin: makes node `id` the leader; resolves once it leads. */
  async transferLeader(id: number): Promise<void> {
    await this.#core.read({ case: "transferLeader", value: { id: BigInt(id) } });
  }

  /** Admin: compacts the leader's Raft log; resolves with the index it is compacted to. */
  async snapshot(): Promise<number> {
    const r = adminOf(await this.#core.read({ case: "snapshot", value: {} }));
    return u64ToNumber(r.snapshotIndex, "snapshot index");
  }

  /** Grants a lease of `ttlSeconds` (raised to the cluster's minimum); resolves with it. */
  grant(ttlSeconds: number, options: lease.GrantOptions = {}): Promise<lease.LeaseStatus> {
    return lease.grantLease(this.#core, ttlSeconds, options);
  }

  /** Revokes a lease: its keys are deleted, at one revision. */
  revoke(id: number): Promise<void> {
    return lease.revokeLease(this.#core, id);
  }

  /** One keep-alive: restarts the lease's TTL; rejects with LEASE_NOT_FOUND when it is gone. */
  keepAliveOnce(id: number): Promise<lease.LeaseStatus> {
    return lease.keepAliveOnce(this.#core, id);
  }

  /** Keeps the lease alive until `close()` (or until it is gone: see the handle's `done`). */
  keepAlive(id: number): KeepAliveHandle {
    return lease.keepAlive(this.#core, id);
  }

  /** The lease's granted TTL, the time it has left and (with `keys`) its keys. */
  timeToLive(id: number, options: lease.TimeToLiveOptions = {}): Promise<lease.LeaseTimeToLive> {
    return lease.leaseTimeToLive(this.#core, id, options);
  }

  /** Every lease, by id. */
  leases(): Promise<lease.LeaseStatus[]> {
    return lease.listLeases(this.#core);
  }

  close(): void {
    this.#core.close();
  }
}
