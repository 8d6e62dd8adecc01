/**
 * In-memory regions for the transaction tests: each region a MemoryTxnStore behind a
 * RegionTxnServer, one virtual clock, one timestamp oracle, and clients whose every request goes
 * through a `Schedule` (run at once, or when a seeded scheduler picks it).
 */
import { MemoryTxnStore } from "../../src/txn/txn_store.ts";
import { type KeyRange, RegionTxnServer, type TxnRegionClient } from "../../src/txn/region_txn.ts";
import { TIMESTAMP_EPOCH_MS, TimestampOracle } from "../../src/txn/timestamp.ts";
import { TimestampBatcher, TimestampService } from "../../src/txn/timestamp_service.ts";
import type { TxnEnv } from "../../src/txn/lock_resolver.ts";
import { compareBytes, utf8 } from "../../src/util/bytes.ts";
import { lockRange } from "../../src/txn/txn_keys.ts";

export const b = utf8;

/** Runs a region request: `fn` is the request applied to the region, atomically. */
export type Schedule = <T>(fn: () => T) => Promise<T>;

export const immediate: Schedule = <T>(fn: () => T) => Promise.resolve().then(fn);

export class TestCluster {
  nowMs = TIMESTAMP_EPOCH_MS + 1_000;
  readonly oracle = new TimestampOracle(0, 50);
  readonly regions: { id: number; range: KeyRange; server: RegionTxnServer }[] = [];
  /** The oracle as a placement leader runs it (its log persists at once here). */
  readonly tso = new TimestampService(this.oracle, () => Promise.resolve(), () => this.nowMs);
  /** The timestamps asked for in one turn, by any client, go as one request. */
  readonly batcher = new TimestampBatcher((count) => this.tso.next(count));

  /** Regions split at `splits` (sorted): region i + 1 covers [splits[i-1], splits[i]). */
  constructor(splits: readonly string[]) {
    const bounds = ["", ...splits, ""];
    for (let i = 0; i + 1 < bounds.length; i++) {
      const range = { start: b(bounds[i]), end: b(bounds[i + 1]) };
      const server = new RegionTxnServer(new MemoryTxnStore(), range, () => this.nowMs);
      this.regions.push({ id: i + 1, range, server });
    }
  }

  regionOf(key: Uint8Array): number {
    for (const r of this.regions) {
      const end = r.range.end;
      if (end.length === 0 || compareBytes(key, end) < 0) return r.id;
    }
    throw new Error("unreachable");
  }

  server(id: number): RegionTxnServer {
    return this.regions[id - 1].server;
  }

  /** A timestamp, persisting the oracle's bound at once when it asks. */
  timestamp(): number {
    for (;;) {
      const grant = this.oracle.next(1, this.nowMs);
      if (grant.kind === "granted") {
        if (grant.persist !== undefined) this.oracle.persisted(grant.persist);
        return grant.first;
      }
      this.oracle.persisted(grant.bound);
    }
  }

  /** Every lock left in every region. */
  locks(): number {
    let n = 0;
    for (const r of this.regions) {
      const [s, e] = lockRange(new Uint8Array(0), new Uint8Array(0));
      for (const _ of r.server.store.scan(s, e)) n++;
    }
    return n;
  }

  /** An environment whose requests (and timestamps) go through `schedule`. */
  env(schedule: Schedule, sleep?: (ms: number) => Promise<void>): TxnEnv {
    return {
      client: scheduledClient(this, schedule),
      regionOf: (key) => this.regionOf(key),
      regions: () => this.regions,
      // The request to the oracle is a scheduled step; the timestamp is taken when it arrives.
      timestamp: () => schedule(() => undefined).then(() => this.batcher.next()),
      nowMs: () => this.nowMs,
      sleep: sleep ?? ((ms) => {
        this.nowMs += ms;
        return Promise.resolve();
      }),
    };
  }
}

export function scheduledClient(cluster: TestCluster, run: Schedule): TxnRegionClient {
  const s = (id: number) => cluster.server(id);
  return {
    prewrite: (r, req) => run(() => s(r).prewrite(req)),
    commit: (r, keys, startTs, commitTs) => run(() => s(r).commit(keys, startTs, commitTs)),
    rollback: (r, keys, startTs) => run(() => s(r).rollback(keys, startTs)),
    checkTxnStatus: (r, primary, startTs, rollbackIfMissing) =>
      run(() => s(r).checkTxnStatus(primary, startTs, rollbackIfMissing)),
    resolveLock: (r, keys, startTs, commitTs) =>
      run(() => s(r).resolveLock(keys, startTs, commitTs)),
    get: (r, key, ts) => run(() => s(r).get(key, ts)),
    scan: (r, range, ts, limit) => run(() => s(r).scan(range, ts, limit)),
    scanExpiredLocks: (r, limit) => run(() => s(r).scanExpiredLocks(limit)),
  };
}

/** The coordinator's process died: this request and every later one fail. */
export class CrashError extends Error {
  override name = "CrashError";
}

/**
 * A schedule that crashes when `crashWhen` says so, before the request (it never arrives) or
 * after it (it applied, the answer is lost). After a crash every request fails.
 */
export function crashingSchedule(
  inner: Schedule,
  crashWhen: (n: number) => "before" | "after" | undefined,
): { schedule: Schedule; crashed: () => boolean } {
  let crashed = false, n = 0;
  const schedule: Schedule = async <T>(fn: () => T) => {
    if (crashed) throw new CrashError("crashed");
    const when = crashWhen(n++);
    if (when === "before") crashed = true;
    if (crashed) throw new CrashError("crashed before the request");
    const result = await inner(fn);
    if (when === "after") crashed = true;
    if (crashed) throw new CrashError("crashed after the request");
    return result;
  };
  return { schedule, crashed: () => crashed };
}
