/**
 * Applies one RedisRequest (docs/decisions/0010-redis-on-the-log.md) on a
 * staged write set over the apply pass's. The staged changes join the pass
 * only if they fit the request's write budget; otherwise the request changes
 * nothing and answers an error, on every replica alike (the budget depends on
 * the request alone). So no request can make an engine batch too large —
 * whatever a FLUSHALL or a COPY of a huge hash would have to write. A lone SET,
 * which can neither fail nor pass its budget once it has written, runs on the pass's
 * set directly (apply_direct.ts).
 */
import type { RedisRequest } from "../../gen/tinykv/v1/tinykv_pb.ts";
import {
  REDIS_REQUEST_BYTES_MIN,
  REDIS_REQUEST_OPS_MAX,
  WRITE_BATCH_BYTES_MAX,
} from "../../limits.ts";
import { countsLeaseKey, type LeaseTable } from "../lease_table.ts";
import { leaseKeyAttachment } from "../mvcc_keys.ts";
import type { LeaseAttachments, RevisionWriter } from "../revision_writer.ts";
import { WriteSet } from "../write_set.ts";
import { ApplyStorage, type WriteBudget } from "./apply_storage.ts";
import { applyDirect, writesDirectly } from "./apply_direct.ts";
import { BudgetExceeded, runRedis, type WatchedKey } from "./executor.ts";
import { error, type RedisReply } from "./reply.ts";
import type { RedisEvent } from "./storage.ts";

const MiB = 1024 * 1024;

/** Lease key counts moved by a staged set: applied to the table only when the set is. */
class StagedLeases implements LeaseAttachments {
  /** Made at the first change: Redis commands never attach keys to leases. */
  #deltas: Map<number, number> | undefined;

  attach(id: number, key: Uint8Array, ws: WriteSet): void {
    if (countsLeaseKey(ws, key)) {
      const deltas = this.#deltas ??= new Map();
      deltas.set(id, (deltas.get(id) ?? 0) + 1);
    }
    ws.put(leaseKeyAttachment(id, key), new Uint8Array(0));
  }

  detach(id: number, key: Uint8Array, ws: WriteSet): void {
    if (countsLeaseKey(ws, key)) {
      const deltas = this.#deltas ??= new Map();
      deltas.set(id, (deltas.get(id) ?? 0) - 1);
    }
    ws.delete(leaseKeyAttachment(id, key));
  }

  applyTo(table: LeaseTable): void {
    if (this.#deltas === undefined) return;
    for (const [id, delta] of this.#deltas) if (delta !== 0) table.countKeys(id, delta);
  }
}

const NO_WATCHES: readonly WatchedKey[] = [];

/**
 * What a request may write: a fixed number of engine operations, and bytes
 * enough for twice what it carries (a value is written as the key's record
 * and its history) but never past what fits one engine batch beside a pass.
 */
export function requestBudget(r: RedisRequest): WriteBudget {
  return budgetOf(carriedBytes(r));
}

/** What a request's commands carry, for its budget: each argument and 64 bytes. */
export function carriedBytes(r: RedisRequest): number {
  let carried = 0;
  for (const c of r.commands) for (const a of c.args) carried += a.length + 64;
  return carried;
}

/** The budget of a request carrying `carried` bytes (`carriedBytes`). */
export function budgetOf(carried: number): WriteBudget {
  const bytes = Math.min(
    WRITE_BATCH_BYTES_MAX - 2 * MiB,
    Math.max(REDIS_REQUEST_BYTES_MIN, 2 * carried + MiB),
  );
  return { ops: REDIS_REQUEST_OPS_MAX, bytes };
}

export interface AppliedRequest {
  readonly reply: RedisReply;
  readonly db: number;
  readonly counts: ReadonlyMap<number, number>;
  readonly events: readonly RedisEvent[];
  /** What the request wrote into the pass (nothing when it changed nothing). */
  readonly used: WriteBudget;
}

const NOTHING: WriteBudget = { ops: 0, bytes: 0 };

/**
 * `baseCount`: a database's key count before the request. `budget`: what it may write
 * (default requestBudget; a request of a batch gets what is left of the batch's).
 */
export function applyRedisRequest(
  r: RedisRequest,
  w: RevisionWriter,
  baseCount: (db: number) => number,
  typedBase?: (db: number) => number,
  budget: WriteBudget = requestBudget(r),
): AppliedRequest {
  if (typedBase !== undefined && writesDirectly(r, typedBase, budget)) {
    return applyDirect(r, w, baseCount, typedBase, budget);
  }
  const staged = new WriteSet(w.ws);
  const leases = new StagedLeases();
  const sw = w.stage(staged, leases);
  const storage = new ApplyStorage(sw, baseCount, budget, typedBase);
  const run = {
    db: r.db,
    commands: r.commands.map((c) => c.args),
    multi: r.multi,
    watches: r.watches.length === 0
      ? NO_WATCHES
      : r.watches.map((x) => ({ db: x.db, key: x.key, revision: Number(x.revision) })),
  };
  let result;
  try {
    result = runRedis(run, storage);
  } catch (err) {
    if (!(err instanceof BudgetExceeded)) throw err;
    return { reply: error(err.message), db: r.db, counts: new Map(), events: [], used: NOTHING };
  }
  // A lone command that answered an error changes nothing, whatever it wrote before failing
  // (an MSET whose last key is too long). Inside MULTI, Redis keeps what failing commands did.
  if (!r.multi && r.commands.length === 1 && isError(result.reply)) {
    return { ...result, counts: new Map(), events: [], used: NOTHING };
  }
  const used = { ops: staged.size, bytes: staged.bytes };
  staged.mergeInto(w.ws);
  leases.applyTo(w.leases);
  w.absorb(sw);
  return { ...result, counts: storage.counts, events: storage.events, used };
}

/** A one-command run's reply is an array of one: whether that one is an error. */
function isError(reply: RedisReply): boolean {
  return reply.k === "error" || (reply.k === "array" && reply.items[0]?.k === "error");
}
