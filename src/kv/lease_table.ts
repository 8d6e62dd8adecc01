/**
 * The replicated lease table: which leases exist, their granted TTL, and how
 * many keys each holds. It changes only while applying the log, so every
 * replica agrees on it. Deadlines are not here: only the leader counts time
 * (src/server/leases/), and it revokes an expired lease through the log.
 *
 * With regions on one engine, a region's table counts only the attached keys of its own range
 * (the write set's span, like its key count): a lease revoked in region 1 also deletes keys a
 * split moved to other regions, and how many of those a node holds depends on which regions'
 * images it installed when, not on region 1's log. Counted node-wide, region 1 opened from its
 * image before a child's image came would count too few and stop the node at the revoke.
 */
import { ErrorCode } from "../gen/tinykv/v1/tinykv_pb.ts";
import { LEASE_KEYS_MAX, LEASES_MAX } from "../limits.ts";
import { assert } from "../util/assert.ts";
import type { Db } from "../storage/db.ts";
import { inSpan, type KeySpan, WHOLE_KEYSPACE } from "./snapshot_ranges.ts";
import { decodeLease, encodeLease } from "./key_record.ts";
import {
  LEASE_KEY_PREFIX,
  LEASE_PREFIX,
  leaseKey,
  leaseKeyAttachment,
  parseLeaseAttachment,
  parseLeaseKey,
} from "./mvcc_keys.ts";
import type { EngineReader, WriteSet } from "./write_set.ts";

export interface LeaseRecord {
  readonly id: number;
  readonly ttlSeconds: number;
}

interface Entry extends LeaseRecord {
  keys: number;
}

export class LeaseTable {
  readonly #leases = new Map<number, Entry>();

  /** Reads the table from the engine (at open): the keys of `span` attached to each lease. */
  static async load(db: Db, span: KeySpan = WHOLE_KEYSPACE): Promise<LeaseTable> {
    const t = new LeaseTable();
    for await (const [k, v] of db.scan({ prefix: LEASE_PREFIX })) {
      const id = parseLeaseKey(k);
      t.#leases.set(id, { id, ttlSeconds: decodeLease(v), keys: 0 });
    }
    t.recount(db, span);
    return t;
  }

  /**
   * Counts again the keys of `span` attached to each lease: at open, and when a split leaves
   * the region a smaller range (the child counts the keys it took). One pass over every
   * attachment on the engine.
   */
  recount(db: EngineReader, span: KeySpan): void {
    for (const e of this.#leases.values()) e.keys = 0;
    // No lease, no attachment: skip the read (an empty range's seek still reads a block).
    if (this.#leases.size === 0) return;
    const end = new Uint8Array([LEASE_KEY_PREFIX[0] + 1]);
    for (const [k] of db.scanSync({ start: LEASE_KEY_PREFIX, end })) {
      const { id, key } = parseLeaseAttachment(k);
      const e = this.#leases.get(id);
      if (e !== undefined && inSpan(span, key)) e.keys++;
    }
  }

  get size(): number {
    return this.#leases.size;
  }

  get(id: number): LeaseRecord | undefined {
    return this.#leases.get(id);
  }

  /** Every lease, in id order (deterministic for anything that iterates it). */
  list(): LeaseRecord[] {
    return [...this.#leases.values()].sort((a, b) => a.id - b.id)
      .map(({ id, ttlSeconds }) => ({ id, ttlSeconds }));
  }

  /** Keys attached to `id`. */
  keyCount(id: number): number {
    return this.#leases.get(id)?.keys ?? 0;
  }

  /** Why `id` cannot take `more` keys, or undefined. */
  attachProblem(id: number, more: number): { code: ErrorCode; message: string } | undefined {
    const e = this.#leases.get(id);
    if (e === undefined) {
      return { code: ErrorCode.LEASE_NOT_FOUND, message: `lease ${id} not found` };
    }
    if (e.keys + more > LEASE_KEYS_MAX) {
      const message = `lease ${id} would hold more than ${LEASE_KEYS_MAX} keys`;
      return { code: ErrorCode.FAILED_PRECONDITION, message };
    }
    return undefined;
  }

  /** Why a lease cannot be granted, or undefined. */
  grantProblem(id: number): string | undefined {
    if (this.#leases.has(id)) return `lease ${id} already exists`;
    if (this.#leases.size >= LEASES_MAX) return `there are already ${LEASES_MAX} leases`;
    return undefined;
  }

  grant(id: number, ttlSeconds: number, ws: WriteSet): void {
    assert(!this.#leases.has(id), `lease ${id} granted twice`);
    this.#leases.set(id, { id, ttlSeconds, keys: 0 });
    ws.put(leaseKey(id), encodeLease(ttlSeconds));
  }

  /** Drops the lease record; its keys must have been deleted already. */
  remove(id: number, ws: WriteSet): void {
    const e = this.#leases.get(id);
    assert(e !== undefined && e.keys === 0, `lease ${id} removed with keys attached`);
    this.#leases.delete(id);
    ws.delete(leaseKey(id));
  }

  attach(id: number, key: Uint8Array, ws: WriteSet): void {
    if (countsLeaseKey(ws, key)) this.countKeys(id, 1);
    ws.put(leaseKeyAttachment(id, key), new Uint8Array(0));
  }

  detach(id: number, key: Uint8Array, ws: WriteSet): void {
    if (countsLeaseKey(ws, key)) this.countKeys(id, -1);
    ws.delete(leaseKeyAttachment(id, key));
  }

  /** Moves a lease's key count (attach and detach, or a staged write set's net change). */
  countKeys(id: number, delta: number): void {
    const e = this.#leases.get(id);
    // A lease's keys are deleted before the lease, so the lease is still here.
    assert(e !== undefined && e.keys + delta >= 0, `lease ${id}: key count off by ${delta}`);
    e.keys += delta;
  }
}

/** Whether the region writing through `ws` counts `key`'s attachment (its own range's keys). */
export function countsLeaseKey(ws: WriteSet, key: Uint8Array): boolean {
  return ws.span === undefined || inSpan(ws.span, key);
}

/** The keys attached to lease `id`, in key order, read from the engine. */
export async function attachedKeys(db: Db, id: number): Promise<Uint8Array[]> {
  const keys: Uint8Array[] = [];
  for await (const [k] of db.scan({ prefix: leaseKeyAttachment(id, new Uint8Array(0)) })) {
    keys.push(parseLeaseAttachment(k).key.slice());
  }
  return keys;
}
