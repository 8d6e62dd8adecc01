/**
 * The client side of a transaction across regions (docs/decisions/0014-regions.md §6,
 * docs/transactions.md#coordinator). Reads go to the snapshot at the start timestamp (resolving
 * the locks they meet); writes are buffered; `commit` prewrites every region's keys, takes a
 * commit timestamp, commits the primary key (the commit point), then the other keys. A conflict
 * rolls the transaction back and throws `TxnConflictError`; the caller retries with a new
 * transaction. In serializable mode every key read and not written is locked lock-only at
 * prewrite, so a write committed to it after the start is a conflict too.
 */
import { TXN_LOCK_TTL_MS_DEFAULT } from "../limits_ops.ts";
import { compareBytes, toHex } from "../util/bytes.ts";
import { readKey, readRange, resolveOne, type TxnEnv } from "./lock_resolver.ts";
import type { MvccEntry } from "./mvcc_read.ts";
import type { KeyRange } from "./region_txn.ts";
import type { KeyError, Mutation } from "./txn_types.ts";

export type Isolation = "snapshot" | "serializable";

/** The transaction did not commit and never will: retry it as a new transaction. */
export class TxnConflictError extends Error {
  override name = "TxnConflictError";
  readonly code = "CONFLICT" as const;
  readonly retryable = true;
  constructor(readonly reason: KeyError | "aborted", options?: { cause?: unknown }) {
    super(`transaction aborted: ${typeof reason === "string" ? reason : reason.kind}`, options);
  }
}

/**
 * The commit request's fate is unknown (the primary's commit got no answer): it may have
 * committed at `commitTs`. A read at a later timestamp tells.
 */
export class TxnUndeterminedError extends Error {
  override name = "TxnUndeterminedError";
  readonly code = "UNDETERMINED" as const;
  constructor(readonly commitTs: number, options?: { cause?: unknown }) {
    super(`commit at ${commitTs} may or may not have happened`, options);
  }
}

/**
 * The transaction's commit would apply a client request an earlier transaction already applied
 * (a retry of it that reached another node): nothing was committed, the locks were given up;
 * `outcome` is the answer saved for the request (kv/outcome_codec.ts).
 */
export class TxnAppliedError extends Error {
  override name = "TxnAppliedError";
  constructor(readonly outcome: Uint8Array) {
    super("the request was already applied by an earlier transaction");
  }
}

export interface TxnOptions {
  readonly isolation?: Isolation;
  readonly lockTtlMs?: number;
  /**
   * The client request this transaction carries out and its answer given the commit timestamp:
   * the primary's commit records it in the primary's region and is refused if an earlier
   * transaction recorded it (`TxnAppliedError`), so a retried request commits at most once.
   */
  readonly session?: {
    readonly clientId: number;
    readonly sequence: number;
    readonly outcome: (commitTs: number) => Uint8Array;
  };
  /**
   * Commit the keys only read (lock-only) even when nothing was written, so that the primary's
   * commit carries `session`: a retry of a request that writes in one branch and only reads in
   * the other must meet the session whichever branch it runs (docs/transactions.md#on-nodes).
   */
  readonly commitReads?: boolean;
}

/** Starts a transaction at a fresh timestamp. */
export async function beginTxn(env: TxnEnv, options: TxnOptions = {}): Promise<Transaction> {
  return new Transaction(env, await env.timestamp(), options);
}

export class Transaction {
  readonly #writes = new Map<string, Mutation>();
  readonly #reads = new Map<string, Uint8Array>();
  #done = false;

  constructor(readonly env: TxnEnv, readonly startTs: number, readonly options: TxnOptions) {}

  /** The value of `key` in this transaction: its own write, else the snapshot at startTs. */
  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    const own = this.#writes.get(toHex(key));
    if (own !== undefined) return own.value;
    this.#reads.set(toHex(key), key);
    return await readKey(this.env, key, this.startTs);
  }

  /** The snapshot's keys of `range` (not this transaction's own writes). */
  async scan(range: KeyRange): Promise<MvccEntry[]> {
    const entries = await readRange(this.env, range, this.startTs);
    for (const e of entries) this.#reads.set(toHex(e.key), e.key);
    return entries;
  }

  /** Counts `key` as read (a compare): in serializable mode it is locked unless written. */
  lock(key: Uint8Array): void {
    this.#reads.set(toHex(key), key.slice());
  }

  put(key: Uint8Array, value: Uint8Array): void {
    this.#writes.set(toHex(key), { kind: "put", key: key.slice(), value: value.slice() });
  }

  delete(key: Uint8Array): void {
    this.#writes.set(toHex(key), { kind: "delete", key: key.slice() });
  }

  /** The keys to prewrite, sorted: writes, and in serializable mode the keys only read. */
  #mutations(): Mutation[] {
    const out = [...this.#writes.values()];
    if (this.options.isolation === "serializable") {
      for (const [hex, key] of this.#reads) {
        if (!this.#writes.has(hex)) out.push({ kind: "lock", key });
      }
    }
    return out.sort((a, b) => compareBytes(a.key, b.key));
  }

  /** Commits; returns the commit timestamp (the start timestamp for a read-only transaction). */
  async commit(): Promise<number> {
    if (this.#done) throw new Error("transaction already finished");
    this.#done = true;
    const mutations = this.#mutations();
    // Reads alone are one consistent snapshot: serializable without locking anything.
    if (this.#writes.size === 0 && (this.options.commitReads !== true || mutations.length === 0)) {
      return this.startTs;
    }
    const primary = mutations[0].key;
    const groups = groupByRegion(this.env, mutations);
    await this.#prewrite(groups, primary);
    const commitTs = await this.env.timestamp().catch(async (cause) => {
      // No commit timestamp, no commit: give the locks up rather than leave them to their TTL.
      await this.#rollback(groups);
      throw new TxnConflictError("aborted", { cause });
    });
    await this.#commitPrimary(groups, primary, commitTs);
    // The transaction is committed. The rest only saves readers the work of rolling forward.
    const commits = [...groups].map(([region, ms]) => {
      const keys = ms.map((m) => m.key).filter((k) => compareBytes(k, primary) !== 0);
      return keys.length === 0
        ? Promise.resolve()
        : this.env.client.commit(region, keys, this.startTs, commitTs);
    });
    await Promise.allSettled(commits);
    return commitTs;
  }

  async #prewrite(groups: Map<number, Mutation[]>, primary: Uint8Array): Promise<void> {
    const lockTtlMs = this.options.lockTtlMs ?? TXN_LOCK_TTL_MS_DEFAULT;
    const results = await Promise.allSettled(
      [...groups].map(([region, mutations]) =>
        this.env.client.prewrite(region, { mutations, primary, startTs: this.startTs, lockTtlMs })
      ),
    );
    let reason: KeyError | "aborted" | undefined;
    for (const r of results) {
      if (r.status === "rejected") reason ??= "aborted";
      else if (!r.value.ok) reason = r.value.error;
    }
    if (reason === undefined) return;
    await this.#rollback(groups);
    // A lock of a dead transaction in the way: finish it, so that the retry can succeed.
    if (typeof reason !== "string" && reason.kind === "locked") {
      await resolveOne(this.env, reason.lock).catch(() => false);
    }
    throw new TxnConflictError(reason);
  }

  async #commitPrimary(groups: Map<number, Mutation[]>, primary: Uint8Array, commitTs: number) {
    const s = this.options.session;
    const session = s === undefined
      ? undefined
      : { clientId: s.clientId, sequence: s.sequence, outcome: s.outcome(commitTs) };
    let result;
    try {
      result = await this.env.client.commit(
        this.env.regionOf(primary),
        [primary],
        this.startTs,
        commitTs,
        session,
      );
    } catch (cause) {
      throw new TxnUndeterminedError(commitTs, { cause });
    }
    if (!result.ok && result.error.kind === "applied") {
      await this.#rollback(groups);
      throw new TxnAppliedError(result.error.outcome);
    }
    if (!result.ok) {
      // Rolled back by a reader that found the locks past their TTL.
      await this.#rollback(groups);
      throw new TxnConflictError("aborted");
    }
  }

  /** Best effort: locks left behind are rolled back by readers and the resolver. */
  async #rollback(groups: Map<number, Mutation[]>): Promise<void> {
    await Promise.allSettled(
      [...groups].map(([region, ms]) =>
        this.env.client.rollback(region, ms.map((m) => m.key), this.startTs)
      ),
    );
  }
}

/** The mutations of each region, in key order. */
function groupByRegion(env: TxnEnv, mutations: readonly Mutation[]): Map<number, Mutation[]> {
  const groups = new Map<number, Mutation[]>();
  for (const m of mutations) {
    const region = env.regionOf(m.key);
    const group = groups.get(region);
    if (group === undefined) groups.set(region, [m]);
    else group.push(m);
  }
  return groups;
}
