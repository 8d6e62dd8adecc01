/**
 * The transactional requests a region serves, as the coordinator's transport carries them
 * (docs/transactions.md#coordinator), and a synchronous server of them over one region's store.
 * On regions each write request is a `Txn` Raft command of the region (the leader stamps `nowMs`
 * into it, so every replica judges TTLs alike) and each read is served after a ReadIndex
 * (src/kv/region_txn_apply.ts builds this server over the entry's batch or the engine).
 */
import { TXN_SCAN_ENTRIES_MAX, TXN_SCAN_LOCKS_MAX } from "../limits_ops.ts";
import { toHex } from "../util/bytes.ts";
import { intersectRanges, type KeyRange, rangeContains } from "./key_range.ts";
import { checkKey, checkTs } from "./txn_input.ts";
import { type MvccGet, mvccGet, type MvccScan, mvccScan, scanExpiredLocks } from "./mvcc_read.ts";
import { checkTxnStatus, commit, prewrite, resolveLock, rollback } from "./percolator.ts";
import type { TxnStore } from "./txn_store.ts";
import type { TxnWriteReply, TxnWriteRequest } from "./txn_codec.ts";
import {
  KeyNotInRegionError,
  type LockInfo,
  type Mutation,
  TxnInputError,
  type TxnResult,
  type TxnSession,
  type TxnStatus,
} from "./txn_types.ts";

export type { KeyRange } from "./key_range.ts";

export interface PrewriteArgs {
  readonly mutations: readonly Mutation[];
  readonly primary: Uint8Array;
  readonly startTs: number;
  readonly lockTtlMs: number;
}

/** The requests of the Percolator protocol, addressed to region `region`. */
export interface TxnRegionClient {
  prewrite(region: number, req: PrewriteArgs): Promise<TxnResult>;
  /** `session`: the primary's commit of a client's request (at most once, txn_types.ts). */
  commit(
    region: number,
    keys: Uint8Array[],
    startTs: number,
    commitTs: number,
    session?: TxnSession,
  ): Promise<TxnResult>;
  rollback(region: number, keys: Uint8Array[], startTs: number): Promise<TxnResult>;
  checkTxnStatus(
    region: number,
    primary: Uint8Array,
    startTs: number,
    rollbackIfMissing: boolean,
  ): Promise<TxnStatus>;
  resolveLock(
    region: number,
    keys: Uint8Array[],
    startTs: number,
    commitTs: number | undefined,
  ): Promise<TxnResult>;
  get(region: number, key: Uint8Array, ts: number): Promise<MvccGet>;
  scan(region: number, range: KeyRange, ts: number, limit: number): Promise<MvccScan>;
  scanExpiredLocks(region: number, limit: number): Promise<LockInfo[]>;
}

/**
 * Serves one region's transactional requests over its store, with the region's clock. A key
 * outside the region's range is refused (`KeyNotInRegionError`: the caller's route is stale) before
 * anything runs; a scan is cut to the range.
 */
export class RegionTxnServer {
  constructor(
    readonly store: TxnStore,
    readonly range: KeyRange,
    readonly nowMs: () => number,
  ) {}

  #own(keys: readonly Uint8Array[]): void {
    for (const key of keys) {
      if (!rangeContains(this.range, key)) {
        throw new KeyNotInRegionError(`key ${toHex(key)} is not in this region`);
      }
    }
  }

  prewrite(req: PrewriteArgs): TxnResult {
    this.#own(req.mutations.map((m) => m.key));
    return prewrite(this.store, { ...req, nowMs: this.nowMs() });
  }

  commit(keys: readonly Uint8Array[], startTs: number, commitTs: number): TxnResult {
    this.#own(keys);
    return commit(this.store, keys, startTs, commitTs);
  }

  rollback(keys: readonly Uint8Array[], startTs: number): TxnResult {
    this.#own(keys);
    return rollback(this.store, keys, startTs);
  }

  checkTxnStatus(primary: Uint8Array, startTs: number, rollbackIfMissing: boolean): TxnStatus {
    this.#own([primary]);
    return checkTxnStatus(this.store, primary, startTs, this.nowMs(), rollbackIfMissing);
  }

  resolveLock(keys: readonly Uint8Array[], startTs: number, commitTs?: number): TxnResult {
    this.#own(keys);
    return resolveLock(this.store, keys, startTs, commitTs);
  }

  get(key: Uint8Array, ts: number): MvccGet {
    checkKey(key);
    checkTs("ts", ts);
    this.#own([key]);
    return mvccGet(this.store, key, ts);
  }

  scan(range: KeyRange, ts: number, limit: number): MvccScan {
    checkTs("ts", ts);
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > TXN_SCAN_ENTRIES_MAX) {
      throw new TxnInputError(`limit ${limit} is outside 1..${TXN_SCAN_ENTRIES_MAX}`);
    }
    const part = intersectRanges(range, this.range);
    return part === undefined ? { entries: [] } : mvccScan(this.store, part, ts, limit);
  }

  scanExpiredLocks(limit: number): LockInfo[] {
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > TXN_SCAN_LOCKS_MAX) {
      throw new TxnInputError(`limit ${limit} is outside 1..${TXN_SCAN_LOCKS_MAX}`);
    }
    return scanExpiredLocks(this.store, this.range, this.nowMs(), limit);
  }
}

/**
 * Runs a write request on `server` (built with the request's `nowMs` where it carries one).
 * Throws `TxnInputError` or `KeyNotInRegionError` before anything is written.
 */
export function serveTxnWrite(server: RegionTxnServer, req: TxnWriteRequest): TxnWriteReply {
  switch (req.kind) {
    case "prewrite":
      return { kind: "result", result: server.prewrite(req) };
    case "commit":
      return { kind: "result", result: server.commit(req.keys, req.startTs, req.commitTs) };
    case "rollback":
      return { kind: "result", result: server.rollback(req.keys, req.startTs) };
    case "resolveLock":
      return { kind: "result", result: server.resolveLock(req.keys, req.startTs, req.commitTs) };
    case "checkTxnStatus": {
      const status = server.checkTxnStatus(req.primary, req.startTs, req.rollbackIfMissing);
      return { kind: "status", status };
    }
  }
}

/** The reads of a region, served by its leader after a ReadIndex (not Raft commands). */
export type TxnReadRequest =
  | { readonly kind: "get"; readonly key: Uint8Array; readonly ts: number }
  | { readonly kind: "scan"; readonly range: KeyRange; readonly ts: number; readonly limit: number }
  | { readonly kind: "scanExpiredLocks"; readonly limit: number };

export type TxnReadReply =
  | { readonly kind: "get"; readonly get: MvccGet }
  | { readonly kind: "scan"; readonly scan: MvccScan }
  | { readonly kind: "locks"; readonly locks: LockInfo[] };

/** Serves a read on `server`; throws `TxnInputError` or `KeyNotInRegionError` on a bad one. */
export function serveTxnRead(server: RegionTxnServer, req: TxnReadRequest): TxnReadReply {
  switch (req.kind) {
    case "get":
      return { kind: "get", get: server.get(req.key, req.ts) };
    case "scan":
      return { kind: "scan", scan: server.scan(req.range, req.ts, req.limit) };
    case "scanExpiredLocks":
      return { kind: "locks", locks: server.scanExpiredLocks(req.limit) };
  }
}
