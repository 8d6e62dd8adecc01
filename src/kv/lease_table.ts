/**
 * The replicated lease table: which leases exist, their granted TTL, and how
 * many keys each holds. It changes only while applying the log, so every
 * replica agrees on it. Deadlines are not here: only the leader counts time
 * (src/server/leases/), and it revokes an expired lease through the log.
 */
import { ErrorCode } from "../gen/tinykv/v1/tinykv_pb.ts";
import { LEASE_KEYS_MAX, LEASES_MAX } from "../limits.ts";
import { assert } from "../util/assert.ts";
import type { Db } from "../storage/db.ts";
import { decodeLease, encodeLease } from "./key_record.ts";
import {
  LEASE_KEY_PREFIX,
  LEASE_PREFIX,
  leaseKey,
  leaseKeyAttachment,
  parseLeaseAttachment,
  parseLeaseKey,
} from "./mvcc_keys.ts";
import type { WriteSet } from "./write_set.ts";

export interface LeaseRecord {
  readonly id: number;
  readonly ttlSeconds: number;
}

interface Entry extends LeaseRecord {
  keys: number;
}

export class LeaseTable {
  readonly #leases = new Map<number, Entry>();

  /** Reads the table from the engine (at open). */
  static async load(db: Db): Promise<LeaseTable> {
    const t = new LeaseTable();
    for await (const [k, v] of db.scan({ prefix: LEASE_PREFIX })) {
      const id = parseLeaseKey(k);
      t.#leases.set(id, { id, ttlSeconds: decodeLease(v), keys: 0 });
    }
    for await (const [k] of db.scan({ prefix: LEASE_KEY_PREFIX })) {
      const e = t.#leases.get(parseLeaseAttachment(k).id);
      if (e !== undefined) e.keys++;
    }
    return t;
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
    this.countKeys(id, 1);
    ws.put(leaseKeyAttachment(id, key), new Uint8Array(0));
  }

  detach(id: number, key: Uint8Array, ws: WriteSet): void {
    this.countKeys(id, -1);
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

/** The keys attached to lease `id`, in key order, read from the engine. */
export async function attachedKeys(db: Db, id: number): Promise<Uint8Array[]> {
  const keys: Uint8Array[] = [];
  for await (const [k] of db.scan({ prefix: leaseKeyAttachment(id, new Uint8Array(0)) })) {
    keys.push(parseLeaseAttachment(k).key.slice());
  }
  return keys;
}
