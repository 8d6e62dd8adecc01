/**
 * The coordinator's transport over real regions (docs/transactions.md#on-regions): a
 * `TxnRegionClient` that routes every request by its keys through a cache of routes, and
 * retries on a stale route (the region split, or moved: `stale`, after refreshing the cache) and
 * on a leader it could not reach (`unavailable`), at most `TXN_ROUTE_ATTEMPTS_MAX` tries, then
 * fails with the retryable `TxnRouteError`. The region a caller names is only a hint: keys are
 * regrouped by the current routes, so a request sent before a split still reaches every key.
 * Percolator requests are idempotent, so a retry of one whose answer was lost is safe.
 */
import { TXN_ROUTE_ATTEMPTS_MAX } from "../limits_ops.ts";
import { compareBytes, toHex } from "../util/bytes.ts";
import { intersectRanges, type KeyRange, rangeContains } from "./key_range.ts";
import type { MvccEntry, MvccGet, MvccScan } from "./mvcc_read.ts";
import type { PrewriteArgs, TxnReadReply, TxnReadRequest, TxnRegionClient } from "./region_txn.ts";
import type { TxnWriteReply, TxnWriteRequest } from "./txn_codec.ts";
import {
  type LockInfo,
  TxnInputError,
  type TxnResult,
  type TxnSession,
  type TxnStatus,
} from "./txn_types.ts";

/** A region as a route names it: id, range and the epoch requests carry. */
export interface TxnRoute extends KeyRange {
  readonly id: number;
  readonly epoch: { readonly version: number; readonly confVer: number };
}

/** Why a region did not serve a request. */
export type TxnRefusal =
  /** The route is stale (epoch, range or region gone): refresh the routes and retry. */
  | { readonly kind: "stale" }
  /** No leader answered (lost, partitioned, electing): retry. */
  | { readonly kind: "unavailable" }
  /** A request no correct coordinator sends. */
  | { readonly kind: "invalid"; readonly message: string };

/** Carries requests to a region's leader (which stamps its clock into writes). */
export interface TxnRegionSender {
  write(route: TxnRoute, req: TxnWriteRequest): Promise<TxnWriteReply | TxnRefusal>;
  read(route: TxnRoute, req: TxnReadRequest): Promise<TxnReadReply | TxnRefusal>;
  /** The current routes, in key order, covering the keyspace. */
  routes(): Promise<readonly TxnRoute[]>;
}

/** No region served the request after every try: retry later. */
export class TxnRouteError extends Error {
  override name = "TxnRouteError";
  readonly code = "UNAVAILABLE" as const;
  readonly retryable = true;
}

/**
 * The routes name no region for a key (a sender whose routes are only those it knows, such as a
 * node holding some regions: node_txn_sender.ts). Inside the client it counts as a stale route:
 * the routes are fetched again and the request retried.
 */
class MissingRouteError extends TxnRouteError {
  override name = "MissingRouteError";
}

function isRefusal<T extends { kind: string }>(r: T | TxnRefusal): r is TxnRefusal {
  return r.kind === "stale" || r.kind === "unavailable" || r.kind === "invalid";
}

export class RoutedTxnClient implements TxnRegionClient {
  #routes: readonly TxnRoute[];

  constructor(
    readonly sender: TxnRegionSender,
    routes: readonly TxnRoute[],
    readonly sleep: (ms: number) => Promise<void>,
  ) {
    this.#routes = routes;
  }

  get routes(): readonly TxnRoute[] {
    return this.#routes;
  }

  routeOf(key: Uint8Array): TxnRoute {
    const route = this.#routes.find((r) => rangeContains(r, key));
    if (route === undefined) throw new MissingRouteError(`no route for key ${toHex(key)}`);
    return route;
  }

  /** The id of `key`'s region by the current routes, 0 when none is known yet (a hint). */
  regionHint(key: Uint8Array): number {
    return this.#routes.find((r) => rangeContains(r, key))?.id ?? 0;
  }

  /** Runs `send` until it is not refused; refreshes the routes after a stale one. */
  async #retry<T extends { kind: string }>(send: () => Promise<T | TxnRefusal>): Promise<T> {
    for (let attempt = 1;; attempt++) {
      let reply: T | TxnRefusal;
      try {
        reply = await send();
      } catch (err) {
        if (!(err instanceof MissingRouteError)) throw err;
        reply = { kind: "stale" };
      }
      if (!isRefusal(reply)) return reply;
      if (reply.kind === "invalid") throw new TxnInputError(reply.message);
      if (attempt >= TXN_ROUTE_ATTEMPTS_MAX) {
        throw new TxnRouteError(`no region served the request in ${attempt} tries`);
      }
      if (reply.kind === "stale") this.#routes = await this.sender.routes();
      else await this.sleep(Math.min(64, 2 ** attempt));
    }
  }

  /** Sends `build(keys)` for the keys of each region (by the routes current at each try). */
  async #writeKeys<K>(
    items: readonly K[],
    keyOf: (item: K) => Uint8Array,
    build: (items: K[]) => TxnWriteRequest,
  ): Promise<TxnResult> {
    let result: TxnResult = { ok: true };
    let todo = [...items];
    for (let attempt = 1; todo.length > 0; attempt++) {
      const groups = new Map<TxnRoute, K[]>();
      const unrouted: K[] = [];
      for (const item of todo) {
        const route = this.#routes.find((r) => rangeContains(r, keyOf(item)));
        if (route === undefined) unrouted.push(item);
        else groups.set(route, [...(groups.get(route) ?? []), item]);
      }
      todo = unrouted;
      let stale = unrouted.length > 0;
      const replies = await Promise.all(
        [...groups].map(async ([route, part]) => ({
          part,
          reply: await this.sender.write(route, build(part)),
        })),
      );
      for (const { part, reply } of replies) {
        if (!isRefusal(reply)) {
          if (reply.kind === "result" && !reply.result.ok && result.ok) result = reply.result;
          continue;
        }
        if (reply.kind === "invalid") throw new TxnInputError(reply.message);
        stale ||= reply.kind === "stale";
        todo.push(...part);
      }
      if (todo.length === 0) break;
      if (attempt >= TXN_ROUTE_ATTEMPTS_MAX) {
        throw new TxnRouteError(`no region served the request in ${attempt} tries`);
      }
      if (stale) this.#routes = await this.sender.routes();
      else await this.sleep(Math.min(64, 2 ** attempt));
    }
    return result;
  }

  prewrite(_region: number, req: PrewriteArgs): Promise<TxnResult> {
    return this.#writeKeys(req.mutations, (m) => m.key, (mutations) => ({
      kind: "prewrite",
      mutations,
      primary: req.primary,
      startTs: req.startTs,
      lockTtlMs: req.lockTtlMs,
      nowMs: 0, // the leader stamps its clock
    }));
  }

  commit(
    _region: number,
    keys: Uint8Array[],
    startTs: number,
    commitTs: number,
    session?: TxnSession,
  ) {
    return this.#writeKeys(
      keys,
      (k) => k,
      (keys) => ({ kind: "commit", keys, startTs, commitTs, ...(session ? { session } : {}) }),
    );
  }

  rollback(_region: number, keys: Uint8Array[], startTs: number): Promise<TxnResult> {
    return this.#writeKeys(keys, (k) => k, (keys) => ({ kind: "rollback", keys, startTs }));
  }

  resolveLock(_region: number, keys: Uint8Array[], startTs: number, commitTs?: number) {
    return this.#writeKeys(
      keys,
      (k) => k,
      (keys) =>
        commitTs === undefined
          ? { kind: "resolveLock", keys, startTs }
          : { kind: "resolveLock", keys, startTs, commitTs },
    );
  }

  async checkTxnStatus(
    _region: number,
    primary: Uint8Array,
    startTs: number,
    rollbackIfMissing: boolean,
  ): Promise<TxnStatus> {
    const req = { kind: "checkTxnStatus", primary, startTs, rollbackIfMissing, nowMs: 0 } as const;
    const reply = await this.#retry(() => this.sender.write(this.routeOf(primary), req));
    if (reply.kind !== "status") throw new Error(`checkTxnStatus answered ${reply.kind}`);
    return reply.status;
  }

  async get(_region: number, key: Uint8Array, ts: number): Promise<MvccGet> {
    const reply = await this.#retry(() =>
      this.sender.read(this.routeOf(key), { kind: "get", key, ts })
    );
    if (reply.kind !== "get") throw new Error(`get answered ${reply.kind}`);
    return reply.get;
  }

  /** Up to `limit` entries of `range` as of `ts`, across as many regions as it now spans. */
  async scan(_region: number, range: KeyRange, ts: number, limit: number): Promise<MvccScan> {
    const entries: MvccEntry[] = [];
    let part: KeyRange | undefined = range;
    while (part !== undefined && entries.length < limit) {
      const from: KeyRange = part;
      const reply = await this.#retry(() => {
        const piece = intersectRanges(from, this.routeOf(from.start));
        const req = { kind: "scan", range: piece ?? from, ts, limit: limit - entries.length };
        return this.sender.read(this.routeOf(from.start), req as TxnReadRequest);
      });
      if (reply.kind !== "scan") throw new Error(`scan answered ${reply.kind}`);
      entries.push(...reply.scan.entries);
      if (reply.scan.lock !== undefined) return { entries, lock: reply.scan.lock };
      part = this.#after(from);
    }
    return { entries };
  }

  /** What is left of `part` past the region holding its start (undefined: nothing). */
  #after(part: KeyRange): KeyRange | undefined {
    const end = this.routeOf(part.start).end;
    if (end.length === 0) return undefined;
    if (part.end.length > 0 && compareBytes(end, part.end) >= 0) return undefined;
    return { start: end, end: part.end };
  }

  async scanExpiredLocks(region: number, limit: number): Promise<LockInfo[]> {
    const reply = await this.#retry(() => {
      const route = this.#routes.find((r) => r.id === region);
      const none: TxnReadReply = { kind: "locks", locks: [] };
      if (route === undefined) return Promise.resolve(none);
      return this.sender.read(route, { kind: "scanExpiredLocks", limit });
    });
    if (reply.kind !== "locks") throw new Error(`scanExpiredLocks answered ${reply.kind}`);
    return reply.locks;
  }
}
