/**
 * The leader's lease clock (docs/coordination.md, Leases). Grants and revokes
 * are replicated; deadlines are not: only the leader keeps them, in memory, on
 * its monotonic clock. When a node becomes leader every lease gets a full
 * fresh TTL before any can expire, so a failover never expires a lease its
 * holder kept alive. A timer finds expired leases (bounded work per check)
 * and proposes `lease_revoke {id, expired: true}` for each, once at a time,
 * retrying later when the proposal fails.
 *
 * Expected outcomes are values (docs/style.md §2.15): an unknown, revoked or
 * expired lease is `undefined`; the caller turns it into LEASE_NOT_FOUND.
 */
import type { CommandInit } from "../../kv/command_codec.ts";
import { LEASE_EXPIRY_CHECK_ENTRIES_MAX, LEASE_REVOKES_INFLIGHT_MAX } from "../../limits.ts";
import type { Clock, TimerId } from "../../platform/types.ts";
import { assert } from "../../util/assert.ts";
import { DeadlineHeap } from "./deadline_heap.ts";

/** A lease as the replicated table holds it. */
export interface LeaseRecord {
  readonly id: number;
  readonly ttlSeconds: number;
}

/** The replicated lease table (the state machine's LeaseTable). */
export interface LeaseSource {
  readonly size: number;
  get(id: number): LeaseRecord | undefined;
  /** Every lease; costs O(n log n), so the keeper calls it only for a full sync or a list. */
  list(): readonly LeaseRecord[];
}

/**
 * Checks between two full syncs of the deadline table with the replicated one (while entries
 * are being applied). Grants and revokes served by this leader are tracked at once
 * (`track`/`forget`); a full sync catches the rest (a grant whose answer timed out), at most
 * this many checks late, which only lengthens that lease's first TTL.
 */
const FULL_SYNC_CHECKS = 10;

/** A lease as the leader answers for it. */
export interface LeaseInfo {
  readonly id: number;
  readonly grantedTtlSeconds: number;
  /** Milliseconds before the leader revokes it (0: expired, its revoke is on the way). */
  readonly remainingMs: number;
}

export interface LeaseKeeperOptions {
  readonly clock: Clock;
  /** The replicated lease table, read afresh each time (a snapshot may swap the engine). */
  readonly leases: () => LeaseSource;
  /** Proposes a replicated command through Raft (the node's `execute`). */
  readonly propose: (command: CommandInit) => Promise<unknown>;
  /** Every deadline is at least this far out (see minLeaseTtlSeconds). */
  readonly minTtlSeconds: number;
  /** How often the leader looks for expired leases. */
  readonly checkIntervalMs: number;
}

/**
 * The shortest TTL a lease gets: three election timeouts. A lease must outlive
 * the time a cluster can spend without a leader that hears keep-alives (a
 * leader's failure noticed after up to two election timeouts, then an
 * election), or a failover would expire leases whose holders did nothing wrong.
 */
export function minLeaseTtlSeconds(electionTimeoutMs: number): number {
  assert(electionTimeoutMs > 0, "election timeout must be positive");
  return Math.max(1, Math.ceil((3 * electionTimeoutMs) / 1000));
}

export interface LeaseCounters {
  /** Leases this node revoked because their TTL ran out (its revokes that applied). */
  expired: number;
  /** Expiry revokes that failed and were proposed again. */
  expiryRetries: number;
}

export class LeaseKeeper {
  readonly counters: LeaseCounters = { expired: 0, expiryRetries: 0 };
  readonly #deadlines = new Map<number, number>();
  readonly #heap = new DeadlineHeap();
  /** Leases whose expiry revoke is proposed and not yet settled. */
  readonly #revoking = new Set<number>();
  #leading = false;
  /** Bumped on every leadership change: settlements of older proposals are ignored. */
  #generation = 0;
  #dirty = false;
  #checksSinceSync = 0;
  #timer: TimerId | undefined;

  constructor(readonly o: LeaseKeeperOptions) {
    assert(o.minTtlSeconds > 0, "minimum lease TTL must be positive");
    assert(o.checkIntervalMs > 0, "lease check interval must be positive");
  }

  get leading(): boolean {
    return this.#leading;
  }

  /** Entries in the deadline heap, stale ones included (bounded by the rebuild in #check). */
  get heapEntries(): number {
    return this.#heap.size;
  }

  /** Leadership changed: a new leader starts every lease afresh; a follower keeps none. */
  setLeading(leading: boolean): void {
    if (leading === this.#leading) return;
    this.#leading = leading;
    this.#generation++;
    this.#deadlines.clear();
    this.#heap.clear();
    this.#revoking.clear();
    this.#disarm();
    if (!leading) return;
    this.#sync();
    this.#arm();
  }

  /** Entries were applied: grants and revokes are picked up by a coming full sync. */
  applied(): void {
    if (this.#leading) this.#dirty = true;
  }

  /** A grant served by this leader applied: the lease's first TTL starts now. */
  track(id: number): void {
    if (!this.#leading || this.#deadlines.has(id)) return;
    const lease = this.o.leases().get(id);
    if (lease !== undefined) this.#setDeadline(id, this.o.clock.nowMs() + this.#ttlMs(lease));
  }

  /** A revoke served by this leader applied. */
  forget(id: number): void {
    this.#deadlines.delete(id);
  }

  /** Restarts the lease's TTL; undefined when it does not exist or has expired. */
  keepAlive(id: number): LeaseInfo | undefined {
    const lease = this.#live(id);
    if (lease === undefined) return undefined;
    const ttlMs = this.#ttlMs(lease);
    this.#setDeadline(id, this.o.clock.nowMs() + ttlMs);
    return { id, grantedTtlSeconds: lease.ttlSeconds, remainingMs: ttlMs };
  }

  /** The lease's TTL and time left; undefined when it does not exist or has expired. */
  timeToLive(id: number): LeaseInfo | undefined {
    const lease = this.#live(id);
    if (lease === undefined) return undefined;
    return this.#info(lease);
  }

  /** Every lease in the table, with the time each has left. */
  list(): LeaseInfo[] {
    assert(this.#leading, "only the leader lists leases");
    this.#sync();
    return this.o.leases().list().map((lease) => this.#info(lease));
  }

  stop(): void {
    this.setLeading(false);
  }

  #info(lease: LeaseRecord): LeaseInfo {
    const deadline = this.#deadlines.get(lease.id) ?? this.o.clock.nowMs() + this.#ttlMs(lease);
    // Whole milliseconds: a real clock reads fractions.
    const remainingMs = Math.max(0, Math.floor(deadline - this.o.clock.nowMs()));
    return { id: lease.id, grantedTtlSeconds: lease.ttlSeconds, remainingMs };
  }

  /** The lease when it exists and has time left (a lease first seen gets a full TTL). */
  #live(id: number): LeaseRecord | undefined {
    assert(this.#leading, "only the leader keeps lease deadlines");
    const lease = this.o.leases().get(id);
    if (lease === undefined) {
      this.#deadlines.delete(id);
      return undefined;
    }
    if (this.#revoking.has(id)) return undefined;
    const now = this.o.clock.nowMs();
    const deadline = this.#deadlines.get(id);
    if (deadline === undefined) this.#setDeadline(id, now + this.#ttlMs(lease));
    // Past its deadline the lease is gone for its holder, even before its revoke applies.
    else if (deadline <= now) return undefined;
    return lease;
  }

  #ttlMs(lease: LeaseRecord): number {
    return Math.max(lease.ttlSeconds, this.o.minTtlSeconds) * 1000;
  }

  #setDeadline(id: number, deadlineMs: number): void {
    this.#deadlines.set(id, deadlineMs);
    this.#heap.push({ dueMs: deadlineMs, id, deadlineMs });
  }

  /** Brings the deadline table in step with the replicated one: O(leases log leases). */
  #sync(): void {
    this.#dirty = false;
    this.#checksSinceSync = 0;
    const table = this.o.leases();
    const now = this.o.clock.nowMs();
    const live = new Set<number>();
    for (const lease of table.list()) {
      live.add(lease.id);
      if (!this.#deadlines.has(lease.id)) this.#setDeadline(lease.id, now + this.#ttlMs(lease));
    }
    if (this.#deadlines.size === live.size) return;
    for (const id of [...this.#deadlines.keys()]) {
      if (!live.has(id)) this.#deadlines.delete(id);
    }
  }

  #arm(): void {
    this.#timer = this.o.clock.setTimeout(() => {
      this.#timer = undefined;
      if (!this.#leading) return;
      this.#check();
      this.#arm();
    }, this.o.checkIntervalMs);
  }

  #disarm(): void {
    if (this.#timer !== undefined) this.o.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** One expiry check: at most LEASE_EXPIRY_CHECK_ENTRIES_MAX heap entries looked at. */
  #check(): void {
    this.#checksSinceSync++;
    if (this.#dirty && this.#checksSinceSync >= FULL_SYNC_CHECKS) this.#sync();
    if (this.#heap.size > 2 * this.#deadlines.size + LEASE_EXPIRY_CHECK_ENTRIES_MAX) {
      // Keep-alives leave stale entries behind: rebuild from the live deadlines.
      const live = [...this.#deadlines].map(([id, d]) => ({ dueMs: d, id, deadlineMs: d }));
      this.#heap.rebuild(live);
    }
    const now = this.o.clock.nowMs();
    for (let looked = 0; looked < LEASE_EXPIRY_CHECK_ENTRIES_MAX; looked++) {
      if (this.#revoking.size >= LEASE_REVOKES_INFLIGHT_MAX) break;
      const top = this.#heap.peek();
      if (top === undefined || top.dueMs > now) break;
      this.#heap.pop();
      if (this.#deadlines.get(top.id) !== top.deadlineMs || this.#revoking.has(top.id)) continue;
      if (this.o.leases().get(top.id) === undefined) {
        // Revoked meanwhile (by a client, through another path): nothing to expire.
        this.#deadlines.delete(top.id);
        continue;
      }
      this.#expire(top.id, top.deadlineMs);
    }
  }

  #expire(id: number, deadlineMs: number): void {
    this.#revoking.add(id);
    const generation = this.#generation;
    const command: CommandInit = {
      body: { case: "leaseRevoke", value: { id: BigInt(id), expired: true } },
    };
    this.o.propose(command).then(() => {
      if (generation !== this.#generation) return;
      this.#revoking.delete(id);
      this.#deadlines.delete(id);
      this.counters.expired++;
    }, () => {
      if (generation !== this.#generation) return;
      this.#revoking.delete(id);
      // Not applied (or unknown): look again after a check; a lease revoked meanwhile is
      // dropped by the next sync, and its retry entry is then stale.
      if (this.#deadlines.get(id) !== deadlineMs) return;
      this.counters.expiryRetries++;
      const dueMs = this.o.clock.nowMs() + this.o.checkIntervalMs;
      this.#heap.push({ dueMs, id, deadlineMs });
      this.#dirty = true;
    });
  }
}
