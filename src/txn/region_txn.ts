/**
 * The transactional requests a region serves, as the coordinator's transport carries them
 * (docs/transactions.md#coordinator), and a synchronous server of them over one region's store.
 * Once wired into regions, each write request is a Raft command of the region (the leader stamps
 * `nowMs` into it, so every replica judges TTLs alike) and each read is served after a ReadIndex.
 */
import { TXN_SCAN_LOCKS_MAX } from "../limits_ops.ts";
import { toHex } from "../util/bytes.ts";
import { intersectRanges, type KeyRange, rangeContains } from "./key_range.ts";
import { checkKey, checkTs } from "./txn_input.ts";
import { type MvccGet, mvccGet, type MvccScan, mvccScan, scanExpiredLocks } from "./mvcc_read.ts";
import { checkTxnStatus, commit, prewrite, resolveLock, rollback } from "./percolator.ts";
import type { TxnStore } from "./txn_store.ts";
import {
  KeyNotInRegionError,
  type LockInfo,
  type Mutation,
  TxnInputError,
  type TxnResult,
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
  commit(region: number, keys: Uint8Array[], startTs: number, commitTs: number): Promise<TxnResult>;
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
    if (!Number.isSafeInteger(limit) || limit < 1) throw new TxnInputError(`limit ${limit}`);
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
