/**
 * Reads that resolve the locks they meet, and the background resolver's sweep
 * (docs/transactions.md#recovery). A lock's fate is its primary key's: committed → the lock is
 * rolled forward (committed at the same timestamp); rolled back, or alive past its TTL → rolled
 * back; alive → the reader waits with bounded backoff, then fails with the retryable
 * `TxnLockedError`. This is how a transaction whose coordinator died between the phases ends.
 */
import { assert } from "../util/assert.ts";
import { compareBytes } from "../util/bytes.ts";
import { lockExpired, type MvccEntry } from "./mvcc_read.ts";
import { intersectRanges, type KeyRange } from "./key_range.ts";
import type { TxnRegionClient } from "./region_txn.ts";
import type { LockInfo } from "./txn_types.ts";

/** How a reader waits for a live lock: `attempts` tries, sleeping base·2^i ms, at most `maxMs`. */
export interface Backoff {
  readonly attempts: number;
  readonly baseMs: number;
  readonly maxMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { attempts: 10, baseMs: 2, maxMs: 500 };

/** What readers, coordinators and the resolver need from their surroundings. */
export interface TxnEnv {
  readonly client: TxnRegionClient;
  /** The region holding `key` (the client's route cache once wired). */
  regionOf(key: Uint8Array): number;
  /** The regions in key order, with their ranges (for scans and sweeps). */
  regions(): readonly { readonly id: number; readonly range: KeyRange }[];
  /** A fresh timestamp from the oracle. */
  timestamp(): Promise<number>;
  nowMs(): number;
  sleep(ms: number): Promise<void>;
  readonly backoff?: Backoff;
}

/** A live lock kept a read from finishing within its backoff: retry later. */
export class TxnLockedError extends Error {
  override name = "TxnLockedError";
  readonly code = "LOCKED" as const;
  readonly retryable = true;
  constructor(readonly lock: LockInfo) {
    super(`key locked by the transaction started at ${lock.startTs}`);
  }
}

function delayMs(backoff: Backoff, attempt: number): number {
  return Math.min(backoff.maxMs, backoff.baseMs * 2 ** attempt);
}

/** Finishes `lock` if its transaction is decided (or presumed dead); false if it is alive. */
export async function resolveOne(env: TxnEnv, lock: LockInfo): Promise<boolean> {
  const expired = lockExpired(lock, env.nowMs());
  const status = await env.client.checkTxnStatus(
    env.regionOf(lock.primary),
    lock.primary,
    lock.startTs,
    expired,
  );
  if (status.kind === "locked" || status.kind === "missing") return false;
  const commitTs = status.kind === "committed" ? status.commitTs : undefined;
  const done = await env.client.resolveLock(
    env.regionOf(lock.key),
    [lock.key],
    lock.startTs,
    commitTs,
  );
  // A primary committed and a secondary rolled back (or the reverse) would break atomicity.
  assert(done.ok, `resolving a lock of ${lock.startTs}: ${done.ok ? "" : done.error.kind}`);
  return true;
}

/** Resolves `lock`, waiting out a live one; throws TxnLockedError after the last attempt. */
async function waitOut(env: TxnEnv, lock: LockInfo, attempt: number): Promise<void> {
  const backoff = env.backoff ?? DEFAULT_BACKOFF;
  if (attempt >= backoff.attempts) throw new TxnLockedError(lock);
  if (!(await resolveOne(env, lock))) await env.sleep(delayMs(backoff, attempt));
}

/** The committed value of `key` as of `ts` (undefined: none), resolving locks on the way. */
export async function readKey(
  env: TxnEnv,
  key: Uint8Array,
  ts: number,
): Promise<Uint8Array | undefined> {
  for (let attempt = 0;; attempt++) {
    const got = await env.client.get(env.regionOf(key), key, ts);
    if (got.kind === "value") return got.value;
    await waitOut(env, got.lock, attempt);
  }
}

function sameLock(a: LockInfo | undefined, b: LockInfo): boolean {
  return a !== undefined && a.startTs === b.startTs && compareBytes(a.key, b.key) === 0;
}

/** Every key of `range` with its value as of `ts`, across regions in key order. */
export async function readRange(env: TxnEnv, range: KeyRange, ts: number): Promise<MvccEntry[]> {
  const out: MvccEntry[] = [];
  for (const region of env.regions()) {
    let part = intersectRanges(range, region.range);
    let attempt = 0, waitedOn: LockInfo | undefined;
    while (part !== undefined) {
      const page = await env.client.scan(region.id, part, ts, 256);
      out.push(...page.entries);
      const last = page.entries.at(-1);
      if (page.lock !== undefined) {
        // The backoff counts the waits on one lock; each new lock gets its own.
        attempt = sameLock(waitedOn, page.lock) ? attempt + 1 : 0;
        waitedOn = page.lock;
        await waitOut(env, page.lock, attempt);
        part = { start: page.lock.key, end: part.end };
      } else if (page.entries.length < 256 || last === undefined) {
        part = undefined;
      } else {
        part = { start: Uint8Array.of(...last.key, 0), end: part.end };
      }
    }
  }
  return out;
}

/**
 * One pass of the background resolver over `region`: every lock whose TTL has passed is finished
 * the way its primary went. Returns how many locks were finished.
 */
export async function sweepRegion(env: TxnEnv, region: number, limit: number): Promise<number> {
  let finished = 0;
  for (const lock of await env.client.scanExpiredLocks(region, limit)) {
    if (await resolveOne(env, lock)) finished++;
  }
  return finished;
}
